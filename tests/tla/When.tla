---- MODULE When ----
\* Hand-written twin of tests/test_liveness.py's WHEN spec: irqspec's `fair action leave() ... when C` is TLA+'s
\* WF_vars(C /\ Leave).
VARIABLES x, kicked
vars == <<x, kicked>>

Init == x = 0 /\ kicked = FALSE
Kick == x = 0 /\ kicked' = TRUE /\ UNCHANGED x
Leave == x = 0 /\ x' = 1 /\ kicked' = FALSE
Back == x = 1 /\ x' = 0 /\ UNCHANGED kicked
Next == Kick \/ Leave \/ Back

Base == Init /\ [][Next]_vars /\ WF_vars(Back)
SpecNone == Base
SpecAlways == Base /\ WF_vars(Leave)
SpecKicked == Base /\ WF_vars(kicked /\ Leave)
SpecNotKicked == Base /\ WF_vars(~kicked /\ Leave)

LeavesWhenKicked == kicked ~> (x = 1)
====
