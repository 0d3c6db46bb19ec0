"""Names: one rule-id pattern and one way of suggesting the name a user meant (cheatsheet.names)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import cheatsheet
from cheatsheet.grammar.parse import ParseError, parse
from cheatsheet.names import close_names, did_you_mean, is_identifier, is_rule_id, suggestion
from cheatsheet.rule import RuleError

PACKAGE = Path(cheatsheet.__file__).parent


def test_suggestions_name_the_closest_choice() -> None:
    """The closest name as spelled in the choices; case counts unless ignored; nothing close, nothing said."""
    assert close_names("sigmod", ["softmax", "sigmoid", "softplus"]) == ["sigmoid"]
    assert close_names("SIGMOD", ["sigmoid"]) == []
    assert close_names("SIGMOD", ["sigmoid"], ignore_case=True) == ["sigmoid"]
    assert close_names("relu", ["relu6", "leaky_relu", "elu", "prelu"], n=3)[0] == "relu6"
    assert suggestion("gelu", ["selu", "tanh"]) == "Did you mean 'selu'?"
    assert did_you_mean("gelu", ["selu"]) == " Did you mean 'selu'?"
    assert suggestion("zzz", ["sigmoid"]) == did_you_mean("zzz", ["sigmoid"]) == ""


def test_every_place_a_name_is_mistyped_suggests_alike() -> None:
    """An unknown id, family, input, parameter or function: each message names the closest choice."""
    with pytest.raises(cheatsheet.UnknownRuleError, match="Did you mean 'sigmoid'"):
        cheatsheet.get("sigmod")
    with pytest.raises(ValueError, match="Did you mean 'activation'"):
        cheatsheet.rules("activaton")
    rule = cheatsheet.get("leaky_relu")
    with pytest.raises(KeyError, match="Did you mean 'input'"):
        rule.input("inptu")
    with pytest.raises(KeyError, match="Did you mean 'negative_slope'"):
        rule.param("negative_slop")
    with pytest.raises(TypeError, match="Did you mean 'negative_slope'"):
        rule.evaluate(1.0, negative_slop=0.1)
    with pytest.raises(ParseError, match="Did you mean 'sigmoid'"):
        parse("Sigmod(x)")  # the grammar's names ignore case when suggesting


def test_difflib_is_used_in_one_place() -> None:
    """Suggestions come only from cheatsheet.names (there were four copies, each with its own cutoff)."""
    users = sorted(
        str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py") if "difflib" in p.read_text("utf-8")
    )
    assert users == ["cheatsheet/names.py"]


@pytest.mark.parametrize(
    "text,ok",
    [
        ("relu", True),
        ("log_softmax", True),
        ("relu6", True),
        ("relu\n", False),
        ("Relu", False),
        ("6relu", False),
        ("_relu", False),
        ("", False),
        ("re-lu", False),
    ],
)
def test_rule_id_pattern(text: str, ok: bool) -> None:
    """snake_case from a letter; the whole text (a trailing newline too: "$" used to let "relu\\n" through)."""
    assert is_rule_id(text) is ok


def test_rule_model_and_rule_files_refuse_the_same_ids() -> None:
    """Regression: Rule accepted the id "relu\\n" that rule files refused (two patterns, one with "$")."""
    relu = cheatsheet.get("relu")
    with pytest.raises(RuleError, match="id must be snake_case"):
        dataclasses.replace(relu, id="relu\n")
    assert dataclasses.replace(relu, id="relu_copy").id == "relu_copy"
    assert not is_rule_id(17)


def test_input_and_parameter_names_are_whole_identifiers() -> None:
    """Regression: "input\\n" passed as an input's name ("$" matches before a final newline)."""
    relu = cheatsheet.get("leaky_relu")
    with pytest.raises(RuleError, match="input name 'input\\\\n' is not an identifier"):
        dataclasses.replace(relu, inputs=(dataclasses.replace(relu.inputs[0], name="input\n"),))
    with pytest.raises(RuleError, match="is not an identifier"):
        dataclasses.replace(relu, params=(dataclasses.replace(relu.params[0], name="negative_slope\n"),))
    assert is_identifier("negative_slope") and is_identifier("_x1")
    assert not is_identifier("x\n") and not is_identifier("1x") and not is_identifier("λ") and not is_identifier(None)
