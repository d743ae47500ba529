"""The README's permission table is the policy's: made from ``policy.TABLE`` by
``capella_share.docs``, with plain words for each of its resources."""

from __future__ import annotations

from capella_share import docs, policy
from capella_share.policy import Level


def test_every_resource_of_the_policy_has_words():
    missing = docs.undescribed()
    assert not missing, (
        f"say these resources of policy.TABLE in capella_share/docs.py (PLAIN or NOT_SHOWN),"
        f" then run {docs.REGENERATE}: {missing}"
    )


def test_no_words_for_a_resource_the_policy_does_not_have():
    assert not (set(docs.PLAIN) | set(docs.NOT_SHOWN)) - set(policy.TABLE)


def test_the_readme_table_is_the_policys():
    text = docs.README.read_text()
    assert text.count(docs.START) == 1 and text.count(docs.END) == 1
    assert docs.with_table(text) == text, (
        f"README.md's permission table differs from the policy: run {docs.REGENERATE}"
    )


def test_a_new_resource_without_words_is_found(monkeypatch):
    table = {**policy.TABLE, "gadgets": {Level.VIEW: "r", Level.EDIT: "r", Level.FULL: "r"}}
    monkeypatch.setattr(policy, "TABLE", table)
    assert docs.undescribed() == ["gadgets"]
    assert docs.main(["--check"]) == 1


def test_a_change_to_the_policy_changes_the_table(monkeypatch):
    before = docs.permission_table()
    table = {**policy.TABLE, "terminals": {Level.VIEW: "", Level.EDIT: "rwx", Level.FULL: "rwx"}}
    monkeypatch.setattr(policy, "TABLE", table)
    after = docs.rows()
    assert docs.permission_table() != before
    assert "use terminals" in after[1][1] and "use terminals" not in after[1][2]


def test_the_table_is_padded_as_prettier_writes_it():
    assert docs.markdown_table(("a", "bb"), [("ccccc", "d")]).splitlines() == [
        "| a     | bb  |",
        "| ----- | --- |",
        "| ccccc | d   |",
    ]
