---- MODULE Toggle ----
\* Hand-written twin of tests/test_liveness.py's TOGGLE spec: vCPUs are owed an interrupt (Send), which Deliver
\* clears while the line is not busy; Toggle flips busy. One specification per fairness choice of Deliver and Toggle
\* (N: none, W: weak, S: strong), each instance of Deliver fair on its own, as irqspec's `fair action` means.
EXTENDS Naturals
CONSTANT N
Cpu == 0..N-1
VARIABLES owed, busy
vars == <<owed, busy>>

Init == owed = [c \in Cpu |-> FALSE] /\ busy = FALSE
Send(c) == ~owed[c] /\ owed' = [owed EXCEPT ![c] = TRUE] /\ UNCHANGED busy
Deliver(c) == owed[c] /\ ~busy /\ owed' = [owed EXCEPT ![c] = FALSE] /\ UNCHANGED busy
Toggle == busy' = ~busy /\ UNCHANGED owed
Next == (\E c \in Cpu: Send(c) \/ Deliver(c)) \/ Toggle

DW == \A c \in Cpu: WF_vars(Deliver(c))
DS == \A c \in Cpu: SF_vars(Deliver(c))
TW == WF_vars(Toggle)
TS == SF_vars(Toggle)
Base == Init /\ [][Next]_vars
SpecNN == Base
SpecWN == Base /\ DW
SpecWW == Base /\ DW /\ TW
SpecWS == Base /\ DW /\ TS
SpecSW == Base /\ DS /\ TW
SpecSN == Base /\ DS

Delivered == \A c \in Cpu: owed[c] ~> ~owed[c]
====
