"""Syntax tree -> checked IR: names, types, ranges, frame rules.

Resolves every name (constants are substituted, -D overrides applied, imported definitions merged), gives every
expression its type (integers their interval, by the rules of `semantics`), and checks the rules of the
language: assignments only to state variables, primes only on the left of an action's assignment, no location assigned
twice in one run of an action, every variable initialised once, no recursion among defs, values inside their types.
Every problem becomes a positioned `Diagnostic`; checking goes on after an error at the next statement or declaration,
so that one run reports them all.

The checker is one class in parts, by concern: `checkbase` (the checking state, diagnostics, scopes and helpers),
`declarations`, `statements` (init and actions) and `expressions` (typing); this module puts them together.
"""

from __future__ import annotations

from .. import ir
from . import syntax as s
from .checkbase import constant_value
from .declarations import DeclarationChecker
from .diagnostics import Diagnostic, Span, SpecError
from .expressions import ExpressionChecker
from .statements import StatementChecker


class Checker(DeclarationChecker, StatementChecker, ExpressionChecker):
    """The whole check of a spec: declarations first, then init, actions and properties (`run`)."""

    def run(self) -> ir.System:
        for module in self.modules:
            is_root = module is self.root
            for decl in module.decls:
                if not is_root and isinstance(decl, (s.VarDecl, s.InitDecl, s.ActionDecl, s.PropDecl)):
                    self.error(decl.span, f"module '{module.name}' is imported, so it may declare only const, type, "
                               "def and import", f"move this into the importing spec, or do not import '{module.name}'")
                    continue
                if isinstance(decl, (s.ConstDecl, s.TypeDecl, s.VarDecl)):
                    if self.nesting(decl) is None:
                        self.failed.update([n for n, _ in decl.names] if isinstance(decl, s.VarDecl) else [decl.name])
                        continue
                    self.declaration(decl)
                elif isinstance(decl, s.DefDecl):
                    if self.declare(decl.name, "def", decl.span):
                        self.def_decls[decl.name] = decl
        const_names = [d.name for m in self.modules for d in m.decls if isinstance(d, s.ConstDecl)]
        for name in self.overrides:
            if name not in const_names:
                self.diags.append(Diagnostic(Span(f"-D {name}", 0, 0), f"the spec declares no constant '{name}'",
                                             self._suggest(name, const_names)))
        self.check_functions()
        init = self.init_decls()
        actions, invariants, lemmas, covers, liveness = [], [], [], [], []
        for decl in self.root.decls:
            if isinstance(decl, s.ActionDecl):
                action = self.guarded(lambda d=decl: self.action_decl(d))
                if action is not None:
                    actions.append(action)
            elif isinstance(decl, s.PropDecl) and decl.kind == "liveness":
                live = self.guarded(lambda d=decl: self.liveness_decl(d))
                if live is not None:
                    liveness.append(live)
            elif isinstance(decl, s.PropDecl):
                prop = self.guarded(lambda d=decl: self.prop_decl(d))
                if prop is not None:
                    {"invariant": invariants, "lemma": lemmas, "cover": covers}[decl.kind].append(prop)
        self.check_unique([d for d in self.root.decls if isinstance(d, s.ActionDecl)], "action")
        # invariants, lemmas and covers share one namespace: commands and reports name a property without its kind
        self.check_unique([d for d in self.root.decls if isinstance(d, s.PropDecl)], "property")
        if self.diags:
            raise SpecError(self.diags)
        constants = tuple(ir.Constant(n, constant_value(c.value), c.overridden) for n, c in self.consts.items())
        return ir.System(
            module=self.root.name, file=self.root.file, doc=self.root.doc, constants=constants,
            vars=tuple(self.vars.values()), init=init, functions=tuple(self.functions.values()),
            actions=tuple(actions), invariants=tuple(invariants), lemmas=tuple(lemmas), covers=tuple(covers),
            imports=tuple(m.name for m in self.modules[:-1]), liveness=tuple(liveness))


def build_system(modules: list[s.ModuleAst], overrides: dict[str, str] | None = None) -> ir.System:
    """Check parsed modules (dependency order, root last) and build the IR; raise SpecError with every error."""
    try:
        return Checker(modules, overrides).run()
    except RecursionError:  # a tree the parser could still build but the recursive checks cannot walk
        root = modules[-1]
        raise SpecError([Diagnostic(root.span, "nesting too deep to check",
                                    "split deeply nested expressions or statements into defs and lets")]) from None


__all__ = ["build_system", "Checker"]

