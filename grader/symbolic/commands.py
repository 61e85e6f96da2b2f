"""LaTeX commands inside an expression, read through one table.

``COMMANDS`` maps a command name (``frac``, ``sqrt``, ``hat``, ``tanh``,
``sigma`` ...) to its handler, ``handler(parser, token, allow_call)``; the
handler is called with the command token not yet consumed and returns the
sympy value it read. A name missing from the table is an unknown command.
Commands the lexer drops or turns into text (``\\left``, ``\\mathbf``,
``\\text``) never reach it.
"""

from __future__ import annotations

from typing import Callable, Iterable

import sympy as sp

from .calculus import CalculusMixin
from .environments import EnvironmentMixin
from .functions import FunctionMixin
from .lexer import Token
from .names import GREEK, GREEK_CANON
from .syntax import DECORATIONS, FUNC_LIKE_CMDS, build_pow, decorate

Handler = Callable[["CommandMixin", Token, bool], sp.Basic]


def _fraction(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    return p._parse_frac(t)


def _binomial(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    a = p._parse_span(*p._group_tokens())
    b = p._parse_span(*p._group_tokens())
    return sp.binomial(a, b)


def _root(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    index = None
    if p.peek().is_op("["):
        index = p.parse_group("[", "]")
    arg = p._parse_span(*p._group_tokens())
    return sp.sqrt(arg) if index is None else build_pow(arg, 1 / index)


def _sum_or_product(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    return p._parse_sum(t.value)


def _blackboard(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    return p._parse_mathbb(t)


def _environment(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    return p._parse_env(t)


def _infinity(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    return sp.oo


def _set_braces(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    return p.parse_group("\\{", "}", kind="cmd")


def _decorated(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    inner = p._parse_span(*p._group_tokens(), allow_call=False)
    if isinstance(inner, sp.Symbol):
        return p._name_postfix(decorate(inner.name, DECORATIONS[t.value]), allow_call)
    raise p.error(f"\\{t.value} must decorate a single symbol", t)


def _partial(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    return p._parse_partial(t)


def _builtin(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    return p._parse_builtin(t.value, t)


def _greek(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
    p.next()
    g = GREEK_CANON.get(t.value, t.value)
    if g == "pi" and not p.peek().is_op("_"):
        return sp.pi
    return p._name_postfix(g, allow_call)


def _refuse(message: str) -> Handler:
    """A handler that rejects its command; ``{}`` in the message stands for the name."""
    def handler(p: CommandMixin, t: Token, allow_call: bool) -> sp.Basic:
        raise p.error(message.format(t.value), t)
    return handler


_unknown = _refuse("unknown command \\{}")


def _table(*entries: tuple[Iterable[str], Handler]) -> dict[str, Handler]:
    """Name -> handler; a name in two entries keeps the first one's handler."""
    table: dict[str, Handler] = {}
    for names, handler in entries:
        for name in names:
            table.setdefault(name, handler)
    return table


COMMANDS = _table(
    (("frac", "dfrac", "tfrac", "cfrac"), _fraction),
    (("binom",), _binomial),
    (("sqrt",), _root),
    (("sum", "prod"), _sum_or_product),
    (("mathbb",), _blackboard),
    (("begin",), _environment),
    (("infty",), _infinity),
    (("{",), _set_braces),
    (DECORATIONS, _decorated),
    (("partial", "nabla"), _partial),
    (FUNC_LIKE_CMDS, _builtin),
    (GREEK, _greek),  # \ell among them
    (("operatorname",), _refuse("\\operatorname needs a name")),
    (("cdots", "ldots", "dots", "vdots"), _refuse("an ellipsis '…' is not a complete expression")),
    (("int", "iint", "oint", "lim", "limsup", "liminf"), _refuse("\\{} is not supported")),
)


class CommandMixin(CalculusMixin, EnvironmentMixin, FunctionMixin):
    """Every grammar area but the core, and the command table, for ``parser.Parser``."""

    def _parse_cmd(self, t: Token, allow_call: bool) -> sp.Basic:
        return COMMANDS.get(t.value, _unknown)(self, t, allow_call)
