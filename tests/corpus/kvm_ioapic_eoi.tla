----------------------------- MODULE kvm_ioapic_eoi -----------------------------
(***************************************************************************)
(* Hand-written TLA+ twin of kvm_ioapic_eoi.irq (KVM: "ioapic: Fix         *)
(* level-triggered EOI and IOAPIC reconfigure race"), for TLC as an        *)
(* independent oracle: the same variables and actions, written from the    *)
(* description of the mechanism, not from irqspec's IR. The per-vCPU bits  *)
(* are sets of vCPUs here.                                                 *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS FIXED,   \* the design after the fix
          NCPU     \* vCPUs the pin can be routed to

Cpus == 0..(NCPU - 1)

VARIABLES line,          \* the device's interrupt line
          remote_irr,    \* Remote IRR of the level-triggered redirection entry
          dest,          \* the entry's destination vCPU
          irr,           \* vCPUs with the vector pending in the LAPIC IRR
          isr,           \* vCPUs with the vector in service
          handled,       \* vCPUs whose ioapic_handled_vectors holds the vector
          scan_pending   \* vCPUs with KVM_REQ_SCAN_IOAPIC pending

vars == <<line, remote_irr, dest, irr, isr, handled, scan_pending>>

TypeOK == /\ line \in BOOLEAN /\ remote_irr \in BOOLEAN /\ dest \in Cpus
          /\ irr \subseteq Cpus /\ isr \subseteq Cpus
          /\ handled \subseteq Cpus /\ scan_pending \subseteq Cpus

Init == /\ line = FALSE /\ remote_irr = FALSE /\ dest = 0
        /\ irr = {} /\ isr = {} /\ handled = {0} /\ scan_pending = {}

\* ioapic_service of a level-triggered entry: deliver to dest and set Remote IRR, unless Remote IRR is set.
assert_line ==
    /\ ~line
    /\ line' = TRUE
    /\ IF remote_irr THEN UNCHANGED <<irr, remote_irr>>
                     ELSE irr' = irr \cup {dest} /\ remote_irr' = TRUE
    /\ UNCHANGED <<dest, isr, handled, scan_pending>>

deassert_line ==
    /\ line
    /\ line' = FALSE
    /\ UNCHANGED <<remote_irr, dest, irr, isr, handled, scan_pending>>

\* The LAPIC moves the vector IRR -> ISR; a vCPU with a scan request pending serves it before running the guest.
accept(c) ==
    /\ c \in irr /\ c \notin isr /\ c \notin scan_pending
    /\ irr' = irr \ {c}
    /\ isr' = isr \cup {c}
    /\ UNCHANGED <<line, remote_irr, dest, handled, scan_pending>>

\* The guest's EOI; it reaches kvm_ioapic_update_eoi only from a vCPU whose bitmap holds the vector.
eoi(c) ==
    /\ c \in isr
    /\ isr' = isr \ {c}
    /\ IF c \in handled
         THEN /\ remote_irr' = line
              /\ irr' = IF line THEN irr \cup {dest} ELSE irr
         ELSE UNCHANGED <<remote_irr, irr>>
    /\ UNCHANGED <<line, dest, handled, scan_pending>>

\* ioapic_write_indirect of the destination, then a scan request on every vCPU.
reroute(d) ==
    /\ dest' = d
    /\ scan_pending' = Cpus
    /\ UNCHANGED <<line, remote_irr, irr, isr, handled>>

\* kvm_ioapic_scan_entry: handled where the entry points; the fix adds a vCPU whose EOI is still pending.
scan(c) ==
    /\ c \in scan_pending
    /\ scan_pending' = scan_pending \ {c}
    /\ handled' = IF c = dest \/ (FIXED /\ c \in irr \cup isr)
                    THEN handled \cup {c}
                    ELSE handled \ {c}
    /\ UNCHANGED <<line, remote_irr, dest, irr, isr>>

Next == \/ assert_line \/ deassert_line
        \/ \E c \in Cpus : accept(c) \/ eoi(c) \/ reroute(c) \/ scan(c)

Spec == Init /\ [][Next]_vars

\* An asserted line is pending or in service somewhere, so an EOI will clear Remote IRR.
no_lost_level_interrupt == line => irr \cup isr # {}
================================================================================
