------------------------------- MODULE kvm_pi_sn -------------------------------
(***************************************************************************)
(* Hand-written TLA+ twin of kvm_pi_sn.irq (KVM: "Recompute PID.ON when    *)
(* clearing PID.SN"), for TLC as an independent oracle: the same variables *)
(* and actions, written from the description of the mechanism, not from   *)
(* irqspec's IR. The per-vector bools of the .irq are sets of vectors.    *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS FIXED,          \* the design after the fix
          LoVec, HiVec    \* the vectors the assigned device uses

Vectors == LoVec..HiVec
Modes == {"Guest", "Host", "Preempted"}

VARIABLES mode,    \* running guest code, in KVM, or scheduled out while runnable
          pir,     \* posted-interrupt requests of the descriptor
          on,      \* descriptor ON: outstanding notification
          sn,      \* descriptor SN: suppress notification
          notify,  \* a notification event is on its way to the pCPU
          irr,     \* the vAPIC's IRR
          owed     \* ghost: raised, handler not started since

vars == <<mode, pir, on, sn, notify, irr, owed>>

TypeOK == /\ mode \in Modes
          /\ pir \subseteq Vectors /\ irr \subseteq Vectors /\ owed \subseteq Vectors
          /\ on \in BOOLEAN /\ sn \in BOOLEAN /\ notify \in BOOLEAN

Init == /\ mode = "Host"
        /\ pir = {} /\ irr = {} /\ owed = {}
        /\ on = FALSE /\ sn = FALSE /\ notify = FALSE

\* VT-d interrupt posting: the PIR bit always; ON and a notification only when ON and SN are clear.
iommu_post(v) ==
    /\ pir' = pir \cup {v}
    /\ owed' = owed \cup {v}
    /\ IF on \/ sn THEN UNCHANGED <<on, notify>>
                   ELSE on' = TRUE /\ notify' = TRUE
    /\ UNCHANGED <<mode, sn, irr>>

\* The notification arrives: posted-interrupt processing in the guest (SDM 29.6); a no-op in the host.
notification ==
    /\ notify
    /\ notify' = FALSE
    /\ IF mode = "Guest" THEN /\ on' = FALSE
                              /\ irr' = irr \cup pir
                              /\ pir' = {}
                         ELSE UNCHANGED <<on, irr, pir>>
    /\ UNCHANGED <<mode, sn, owed>>

\* vcpu_enter_guest: vmx_sync_pir_to_irr moves PIR to IRR only if it clears a set ON.
vmentry ==
    /\ mode = "Host"
    /\ mode' = "Guest"
    /\ IF on THEN /\ on' = FALSE
                  /\ irr' = irr \cup pir
                  /\ pir' = {}
             ELSE UNCHANGED <<on, irr, pir>>
    /\ UNCHANGED <<sn, notify, owed>>

vmexit ==
    /\ mode = "Guest"
    /\ mode' = "Host"
    /\ UNCHANGED <<pir, on, sn, notify, irr, owed>>

\* vmx_vcpu_pi_put of a preempted vCPU: SN = 1.
sched_out ==
    /\ mode = "Host"
    /\ mode' = "Preempted"
    /\ sn' = TRUE
    /\ UNCHANGED <<pir, on, notify, irr, owed>>

\* vmx_vcpu_pi_load: SN = 0; the fix sets ON again when PIR holds a request.
sched_in ==
    /\ mode = "Preempted"
    /\ mode' = "Host"
    /\ sn' = FALSE
    /\ on' = (on \/ (FIXED /\ pir # {}))
    /\ UNCHANGED <<pir, notify, irr, owed>>

Max(S) == CHOOSE v \in S : \A w \in S : w <= v

\* Virtual-interrupt delivery of the highest VIRR vector: its handler starts.
deliver ==
    /\ mode = "Guest"
    /\ irr # {}
    /\ irr' = irr \ {Max(irr)}
    /\ owed' = owed \ {Max(irr)}
    /\ UNCHANGED <<mode, pir, on, sn, notify>>

Next == \/ \E v \in Vectors : iommu_post(v)
        \/ notification \/ vmentry \/ vmexit \/ sched_out \/ sched_in \/ deliver

Spec == Init /\ [][Next]_vars

\* Every owed vector is in IRR, or in PIR where ON or SN makes someone look at it.
no_lost_posted_interrupt ==
    \A v \in owed : v \in irr \/ (v \in pir /\ (on \/ sn))
================================================================================
