------------------------------ MODULE bhyve_vtx_hlt ------------------------------
(***************************************************************************)
(* Hand-written TLA+ twin of bhyve_vtx_hlt.irq (FreeBSD: "Fix missed       *)
(* posted interrupts in VT-x in bhyve"), for TLC as an independent oracle: *)
(* the same variables and actions, written from the description of the     *)
(* mechanism, not from irqspec's IR. The PIR is a set of vectors and       *)
(* pending_prio a set of priority classes; "the new class is above every   *)
(* recorded one" is said with a quantifier, not with bit arithmetic.       *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS FIXED,          \* the design after the fix
          LoVec, HiVec,   \* the vectors sent
          PPR             \* the processor priority the guest HLTs with

Vectors == LoVec..HiVec
Class(v) == v \div 16

VARIABLES stage,         \* "Running" guest code or "Halted" in vm_handle_hlt
          pir,           \* posted-interrupt requests of the PIR descriptor
          pending,       \* the descriptor's 'pending' bit
          pending_prio   \* classes recorded while 'pending' was set (after the fix)

vars == <<stage, pir, pending, pending_prio>>

TypeOK == /\ stage \in {"Running", "Halted"}
          /\ pir \subseteq Vectors /\ pending \in BOOLEAN /\ pending_prio \subseteq 0..15

Init == stage = "Running" /\ pir = {} /\ pending = FALSE /\ pending_prio = {}

\* vmx_pending_intr: some requested vector has its priority (vector & 0xf0) above PPR; with PPR 0, any.
Recognized(p, pend) == pend /\ (PPR = 0 \/ \E v \in p : Class(v) * 16 > PPR)

\* vmx_set_intr_ready + vcpu_notify_event; a woken vCPU re-checks at once.
set_intr_ready(v) ==
    LET first  == ~pending
        higher == FIXED /\ Class(v) \notin pending_prio /\ \A k \in pending_prio : k < Class(v)
        notify == first \/ higher
    IN /\ pir' = pir \cup {v}
       /\ pending' = TRUE
       /\ pending_prio' = IF FIXED /\ first THEN {}
                          ELSE IF higher THEN pending_prio \cup {Class(v)}
                          ELSE pending_prio
       /\ stage' = IF notify /\ stage = "Halted" /\ Recognized(pir \cup {v}, TRUE)
                     THEN "Running" ELSE stage

\* HLT: vm_handle_hlt goes to sleep when nothing is recognized.
hlt ==
    /\ stage = "Running"
    /\ ~Recognized(pir, pending)
    /\ stage' = "Halted"
    /\ UNCHANGED <<pir, pending, pending_prio>>

\* PIR sync on the running vCPU: 'pending' read and cleared, PIR moved into the vAPIC.
sync_pir ==
    /\ stage = "Running"
    /\ pending
    /\ pending' = FALSE
    /\ pir' = {}
    /\ UNCHANGED <<stage, pending_prio>>

Next == (\E v \in Vectors : set_intr_ready(v)) \/ hlt \/ sync_pir

Spec == Init /\ [][Next]_vars

no_missed_wakeup == stage = "Halted" => ~Recognized(pir, pending)
================================================================================
