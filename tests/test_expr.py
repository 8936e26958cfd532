"""The expr language: values, sizes, and every attempt to reach Python refused."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodes.expr import ExprError, compile_expression
from nodes.expr.parser import MAX_DEPTH, MAX_LENGTH


def ev(text: str, **values) -> list[float]:
    program = compile_expression(text, values)
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in values.items()}
    return program.run(arrays).tolist()


@pytest.mark.parametrize("text,expected", [
    ("1 + 2 * 3 ^ 2", 19), ("-2^2", -4), ("2^3^2", 512), ("2**-1", 0.5), ("(1 + 2) * 3", 9),
    ("7 % 3", 1), ("-7 % 3", 2), ("10 / 4", 2.5), ("+-+1", -1), ("1.5e2 + .5", 150.5),
    ("2 > 1", 1), ("2 <= 1", 0), ("1 == 1.0", 1), ("1 != 1", 0), ("1 + 1 < 3", 1),
    ("pi", math.pi), ("e", math.e), ("round(2.5) + round(-0.5)", 3), ("floor(-1.5)", -2),
    ("ceil(1.2)", 2), ("abs(-3) * sign(-2)", -3), ("sqrt(16) + exp(0) + log(e)", 6),
    ("log2(8) + log10(1000)", 6), ("atan2(1, 1)", math.pi / 4), ("pow(2, 10)", 1024),
    ("tanh(0) + sinh(0) + cosh(0)", 1), ("asin(1)", math.pi / 2), ("acos(1) + atan(0)", 0),
    ("sin(pi / 2) + cos(0) + tan(0)", 2), ("clip(5, 0, 1) + clip(-5, 0, 1)", 1),
    ("mix(10, 20, 0.25)", 12.5), ("lerp(0, 4, 0.5)", 2), ("where(0, 1, 2) + where(3, 1, 2)", 3),
    ("min(3, 1, 2) + max(3, 1, 2)", 4),
])
def test_scalar_arithmetic_and_functions(text, expected):
    assert ev(text) == [pytest.approx(expected)]


def test_vectors_broadcast_join_index_and_reduce():
    a = [1.0, 2.0, 3.0]
    assert ev("a * 2 + 1", a=a) == [3, 5, 7]
    assert ev("a * b", a=a, b=[2, 0, -1]) == [2, 0, -3]
    assert ev("[a, 0, b]", a=a, b=[9, 8]) == [1, 2, 3, 0, 9, 8]
    assert ev("a[0] + a[-1]", a=a) == [4]
    assert ev("a[1:] - a[:2]", a=a) == [1, 1]
    assert ev("a[-2:]", a=a) == [2, 3]
    assert ev("sum(a) + mean(a) + min(a) + max(a)", a=a) == [6 + 2 + 1 + 3]
    assert ev("norm([3, 4]) + dot(a, a)", a=a) == [5 + 14]
    assert ev("min(a, 2)", a=a) == [1, 2, 2]
    assert ev("a > 1.5", a=a) == [0, 1, 1]
    assert ev("where(a > 1.5, a, -a)", a=a) == [-1, 2, 3]
    assert ev("clip(a, [0, 0, 0], [1.5, 1.5, 1.5])", a=a) == [1, 1.5, 1.5]


def test_empty_vectors_broadcast_empty_and_reductions_say_why_they_cannot():
    assert ev("a * 2 + 1", a=[]) == []
    assert ev("sum(a)", a=[]) == [0]
    with pytest.raises(ExprError, match="min of an empty vector has no value at column 1"):
        ev("min(a)", a=[])


def test_division_by_zero_is_left_non_finite_for_the_node_to_guard():
    out = ev("1 / a + log(a)", a=[0.0, 1.0])
    assert math.isinf(out[0]) or math.isnan(out[0])
    assert out[1] == 1.0


def test_sizes_are_checked_before_running():
    program = compile_expression("a + b * 2", ["a", "b"])
    assert program.size({"a": 3, "b": 3}) == 3
    assert program.size({"a": 3, "b": 1}) == 3
    assert program.size({"a": 3}) == 3
    assert program.size({}) is None
    with pytest.raises(ExprError, match=r"'\+' combines vectors of 2 and 3 values .* at column 3"):
        program.size({"a": 2, "b": 3})
    assert compile_expression("[a, 1, a[0:2]]", ["a"]).size({"a": 4}) == 7
    assert compile_expression("sum(a) + norm(a)", ["a"]).size({"a": 4}) == 1
    with pytest.raises(ExprError, match="index 4 is outside a vector of 4 values at column 2"):
        compile_expression("a[4]", ["a"]).size({"a": 4})


def test_sizes_that_cannot_combine_at_run_time_are_an_expr_error():
    with pytest.raises(ExprError, match=r"'\+' combines vectors of 2 and 3 values .* at column 3"):
        ev("a + b", a=[1, 2], b=[1, 2, 3])
    with pytest.raises(ExprError, match="index -3 is outside"):
        ev("a[-3]", a=[1, 2])


# Every attempt to reach Python: (expression, words in the message, column).
ESCAPES = [
    ("a.__class__", "no attribute access", 2),
    ("a.real", "no attribute access", 2),
    ("(1).__class__.__bases__", "no attribute access", 4),
    ("__import__", "unknown name '__import__'", 1),
    ("__import__('os')", "text in quotes", 12),
    ("__import__(a)", "'__import__' is not a function", 1),
    ("__builtins__", "unknown name", 1),
    ("import os", "unknown name 'import'", 1),
    ("from os import system", "unknown name 'from'", 1),
    ("lambda: 0", "unknown name 'lambda'", 1),
    ("a if a else a", "unexpected 'if'", 3),
    ("[x for x in a]", "unknown name 'x'", 2),
    ("eval(a)", "'eval' is not a function", 1),
    ("exec(a)", "'exec' is not a function", 1),
    ("open(a)", "'open' is not a function", 1),
    ("getattr(a, a)", "'getattr' is not a function", 1),
    ("globals()", "'globals' is not a function", 1),
    ("a()", "'a' is an input", 1),
    ("sin", "sin is a function; call it as sin(...)", 1),
    ("'rm -rf'", "text in quotes", 1),
    ('"a"', "text in quotes", 1),
    ("f'{a}'", "text in quotes", 2),
    ("a[a]", "whole number literal", 3),
    ("a[0:a]", "whole number literal", 5),
    ("a[0][0]", "one index per value", 5),
    ("{}", "unexpected character '{'", 1),
    ("a; a", "unexpected character ';'", 2),
    ("a = 1", "compare with ==", 3),
    ("a @ a", "unexpected character '@'", 3),
    ("`a`", "unexpected character '`'", 1),
    ("a \\\n+ 1", "unexpected character '\\\\'", 3),
    ("a # comment", "unexpected character '#'", 3),
    ("a < a < a", "do not chain", 7),
    ("1 2", "unexpected '2'", 3),
    ("a +", "unexpected end of expression", 4),
    ("(a + 1", "expected ')' to close '(' from column 1, found end of expression", 7),
    ("sin(1, 2)", "sin() takes 1 argument, got 2", 1),
    ("clip(1)", "clip() takes 3 arguments, got 1", 1),
    ("1e999", "too large", 1),
    ("٣ + 1", "unexpected character", 1),
    ("", "empty", None),
]


@pytest.mark.parametrize("text,words,column", ESCAPES, ids=[e[0] or "empty" for e in ESCAPES])
def test_everything_outside_the_language_is_refused_with_a_column(text, words, column):
    with pytest.raises(ExprError) as info:
        compile_expression(text, ["a"])
    assert words in str(info.value)
    assert info.value.column == column


def test_length_and_depth_are_bounded_without_recursion_errors():
    with pytest.raises(ExprError, match=f"at most {MAX_LENGTH}"):
        compile_expression("a+" * MAX_LENGTH + "a", ["a"])
    for opener, closer in (("(", ")"), ("[", "]"), ("sin(", ")"), ("-", ""), ("2^", "")):
        deep = opener * (MAX_DEPTH + 1) + "1" + closer * (MAX_DEPTH + 1)
        with pytest.raises(ExprError, match=f"nested more than {MAX_DEPTH} levels"):
            compile_expression(deep, [])
    ok = "(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH
    assert compile_expression(ok, []).run({}).tolist() == [1]


def test_long_flat_expressions_run_as_a_loop():
    text = "+".join(["a"] * 450)
    assert len(text) < MAX_LENGTH
    assert ev(text, a=[1, 2]) == [450, 900]


def compile_and_run_or_expr_error(text):
    """Compile ``text`` over inputs a (2 values) and b (1 value) and run it: either step
    may refuse with ExprError (then None); a result is a 1-D float64 vector. Anything
    else raised fails the calling test."""
    try:
        program = compile_expression(text, ["a", "b"])
        result = program.run({"a": np.array([1.0, 2.0]), "b": np.array([0.5])})
    except ExprError:
        return None
    assert result.ndim == 1 and result.dtype == np.float64
    return program, result


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab01.e+-*/%^()[],:<=>! __sinlogmax\"'", max_size=60))
def test_arbitrary_text_either_compiles_and_runs_or_raises_expr_error(text):
    compile_and_run_or_expr_error(text)


PIECES = ["a", "b", "1", "0", "2.5", "-1", "pi", "sin(", "max(", "sum(", "min(", "clip(",
          "where(", "mix(", "norm(", "(", ")", "[", "]", ",", ":", "+", "-", "*", "/", "^",
          "%", "<", "==", " "]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_token_soup_either_compiles_and_runs_or_raises_expr_error(text):
    ran = compile_and_run_or_expr_error(text)
    if ran is None:
        return
    program, result = ran
    size = program.size({"a": 2, "b": 1})
    assert size is None or size == result.size
