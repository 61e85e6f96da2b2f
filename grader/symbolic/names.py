"""Vocabulary shared by the lexer and parser: Greek letters, functions, prose.

Kept in one place so the parser, the extractor and the checker agree on what
is a function, what is a symbol and what is English.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
    "omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega ell".split()
)
# \varepsilon and \epsilon are the same letter to a reader.
GREEK_CANON = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi",
               "varrho": "rho", "varsigma": "sigma", "varpi": "pi"}


@lru_cache(maxsize=4096)
def fold(name: str) -> str:
    """The key under which two spellings of a name are the same name.

    Case does not matter in a word (``ReLU``, ``relu``, ``Sigmoid``), but it does in a
    letter: ``\\Phi`` (the normal CDF) is not ``\\phi`` (its density), ``\\Gamma`` is not
    ``\\gamma``, ``F`` is not ``f``. Each ``_``-separated part is folded on its own, so
    ``L_BCE`` and ``L_bce`` agree while ``Phi_1`` and ``phi_1`` do not.
    """
    return "_".join(p if len(p) == 1 or p in GREEK else p.lower()
                    for p in name.split("_"))


# Functions sympy evaluates itself; value = sympy callable.
BUILTIN_FUNCS: dict[str, object] = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "sech": sp.sech, "csch": sp.csch,
    "coth": sp.coth, "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "arsinh": sp.asinh, "artanh": sp.atanh,
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "sgn": sp.sign, "sign": sp.sign,
    "abs": sp.Abs, "max": sp.Max, "min": sp.Min, "erf": sp.erf,
}
# Builtins that take several arguments.
MULTI_ARG = frozenset({"max", "min"})

# Well-known DL functions that are meaningful even without a definition;
# used as default definitions when the question gives none.
DEFAULT_FUNCTION_DEFS: dict[str, str] = {
    "sigma": "1/(1+exp(-_x))",
    "sigmoid": "1/(1+exp(-_x))",
    "relu": "Max(0, _x)",
    "softplus": "log(1+exp(_x))",
    # the unit step; its value at 0 is left undefined (conventions decide)
    "heaviside": "Piecewise((1, _x > 0), (0, _x < 0))",
    "step": "Piecewise((1, _x > 0), (0, _x < 0))",
}
# Function names we always treat as functions when followed by an argument.
DEFAULT_FUNCTIONS = frozenset({"sigma", "sigmoid", "relu", "softplus", "softmax", "gelu",
                               "swish", "silu", "elu", "selu", "heaviside", "step"})

# Prose words: when met in math they end an expression or are stripped from
# cases conditions.
PROSE = frozenset(
    "if for when where whenever otherwise else and or with is are the a an at of to be we so "
    "by as it on then thus hence since let all any some such that this given using in "
    "note which gives get have has here".split()
)
CONDITION_WORDS = frozenset({"if", "for", "when", "whenever", "where", "with", "for all", "provided"})
OTHERWISE_WORDS = frozenset({"otherwise", "else", "o.w.", "ow", "elsewhere", "other", "all other",
                             "else.", "otherwise."})

# Names a loss function goes by, for lenient left-side matching.
LOSS_NAMES = frozenset({"L", "ell", "l", "J", "E", "C", "loss", "Loss", "L_BCE", "L_CE", "L_MSE",
                        "BCE", "MSE", "CE", "NLL", "cost", "Cost", "ell_BCE"})

# Words the lexer keeps whole inside a run of letters.
LEXER_WORDS = frozenset(BUILTIN_FUNCS) | DEFAULT_FUNCTIONS | frozenset(
    {"alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "sigma", "omega", "kappa",
     "sqrt", "frac", "ReLU", "Relu", "LeakyReLU"}
)
