"""Who sees which pieces of a voucher (docs/visibility.md), in the lineage, the notes and the report.

The voucher's obligor and the administrators see the whole tree. A holder sees its own pieces in
full, and where they came from (ancestors) and went (the pieces split off them, one level) as they
were created; not every later holder and amount. Anyone who sold everything used to keep seeing
every later holder and amount of the voucher.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.api.pagination import MAX_PAGE_SIZE
from service.runtime import Runtime
from tests.conftest import ApiUser, SeedLedger, register, transfer
from tests.test_bad_input import expect_error
from tests.test_financing import publish_terms
from tests.test_settlement import open_early_payment_programme

pytestmark = pytest.mark.integration
BOTH_DATABASES = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def tree(seed: SeedLedger) -> dict[str, int]:
    """root (T1) -> a (A, 30M) and b (B, 20M); a -> c (C, 10M) -> bank (Bank, 5M); A sells its other
    20M to B (b2): A holds nothing any more."""
    root = seed.voucher["root_token_id"]
    a = transfer(seed.t1, root, seed.a, "30000000.00")["token_id"]
    b = transfer(seed.t1, root, seed.b, "20000000.00")["token_id"]
    c = transfer(seed.a, a, seed.c, "10000000.00")["token_id"]
    bank = transfer(seed.c, c, seed.bank, "5000000.00")["token_id"]
    b2 = transfer(seed.a, a, seed.b, "20000000.00")["token_id"]
    return {"root": root, "a": a, "b": b, "c": c, "bank": bank, "b2": b2}


# viewer -> {piece: view}; every other piece is invisible to it
EXPECTED = {
    "carmaker": {name: "full" for name in ("root", "a", "b", "c", "bank", "b2")},
    "admin": {name: "full" for name in ("root", "a", "b", "c", "bank", "b2")},
    "t1": {"root": "full", "a": "provenance", "b": "provenance"},
    "a": {"root": "provenance", "a": "full", "c": "provenance", "b2": "provenance"},
    "b": {"root": "provenance", "a": "provenance", "b": "full", "b2": "full"},
    "c": {"root": "provenance", "a": "provenance", "c": "full", "bank": "provenance"},
    "bank": {"root": "provenance", "a": "provenance", "c": "provenance", "bank": "full"},
}
# what each piece was created with: for whom, and how much
CREATED = {
    "root": ("T1", "100000000.00"),
    "a": ("A", "30000000.00"),
    "b": ("B", "20000000.00"),
    "c": ("C", "10000000.00"),
    "bank": ("Bank", "5000000.00"),
    "b2": ("B", "20000000.00"),
}


def _users(seed: SeedLedger) -> dict[str, ApiUser]:
    return {
        "carmaker": seed.carmaker,
        "admin": seed.admin,
        "t1": seed.t1,
        "a": seed.a,
        "b": seed.b,
        "c": seed.c,
        "bank": seed.bank,
    }


def _lineage(user: ApiUser, voucher_id: int) -> dict[str, Any]:
    response = user.get(f"/v1/vouchers/{voucher_id}/lineage", params={"limit": MAX_PAGE_SIZE})
    assert response.status_code == 200, response.text
    lineage: dict[str, Any] = response.json()
    return lineage


@BOTH_DATABASES
def test_each_viewer_sees_its_own_pieces_and_where_they_came_from_and_went(
    seed: SeedLedger, tree: dict[str, int]
) -> None:
    names = {token: name for name, token in tree.items()}
    for viewer, user in _users(seed).items():
        lineage = _lineage(user, seed.voucher["id"])
        seen = {names[piece["token_id"]]: piece for piece in lineage["pieces"]}
        assert {name: piece["view"] for name, piece in seen.items()} == EXPECTED[viewer], viewer
        whole_tree = viewer in ("carmaker", "admin")
        assert (lineage["piece_count"] is not None) == whole_tree
        for name, piece in seen.items():
            if piece["view"] == "provenance":
                # as it was created: for whom and with how much; not its holder or value now
                assert (piece["holder"]["name"], piece["received"]) == CREATED[name], (viewer, name)
                assert (
                    piece["value"] is None and piece["merged_in"] == [] and piece["merged_in_count"] is None
                )
            else:
                assert piece["value"] is not None
        for name, token in tree.items():
            note = user.get(f"/v1/notes/{token}")
            if name in EXPECTED[viewer]:
                assert note.status_code == 200, (viewer, name, note.text)
                assert note.json()["view"] == EXPECTED[viewer][name]
                assert (note.json()["value"] is None) == (EXPECTED[viewer][name] == "provenance")
            else:
                expect_error(note, 404, "note_not_found")


def test_a_holder_that_sold_everything_sees_only_whom_it_sold_to(
    seed: SeedLedger, tree: dict[str, int]
) -> None:
    """A sold all it had (10M to C, 20M to B): it sees those two sales as they were made, and not that C
    sold on to the Bank, nor what C and B hold now."""
    pieces = {piece["token_id"]: piece for piece in _lineage(seed.a, seed.voucher["id"])["pieces"]}
    assert tree["bank"] not in pieces and tree["b"] not in pieces
    sold = {pieces[tree["c"]]["holder"]["name"]: pieces[tree["c"]]["received"]}
    sold[pieces[tree["b2"]]["holder"]["name"]] = pieces[tree["b2"]]["received"]
    assert sold == {"C": "10000000.00", "B": "20000000.00"}
    assert pieces[tree["a"]]["value"] == "0.00" and pieces[tree["a"]]["view"] == "full"


def test_the_report_shows_a_holder_its_own_payments(
    seed: SeedLedger, runtime: Runtime, tree: dict[str, int]
) -> None:
    programme = open_early_payment_programme(seed, runtime)
    path = f"/v1/early-payment-programmes/{programme['id']}/redemptions"
    for user, token in ((seed.b, tree["b"]), (seed.c, tree["c"])):
        response = user.post(path, json={"token_id": token, "amount": "1000000.00"})
        assert response.status_code == 201, response.text
    report_path = f"/v1/vouchers/{seed.voucher['id']}/settlement/report"

    def parties(user: ApiUser) -> list[str]:
        return [row["party"]["name"] for row in user.get(report_path).json()["rows"]]

    assert parties(seed.carmaker) == parties(seed.admin) == ["B", "C"]
    assert parties(seed.b) == ["B"] and parties(seed.c) == ["C"] and parties(seed.a) == []
    # the voucher's own figures stay: what it owes and what was paid early in all
    assert seed.a.get(report_path).json()["paid_early"] == seed.carmaker.get(report_path).json()["paid_early"]


def _same_answer(unseen: Any, missing: Any, unseen_id: int, missing_id: int) -> None:
    """A 404 with the resource's code, and the very same body but for the id."""
    assert unseen.status_code == missing.status_code == 404, (unseen.text, missing.text)
    assert unseen.text.replace(str(unseen_id), "ID") == missing.text.replace(str(missing_id), "ID")


def test_a_piece_the_caller_may_not_see_answers_as_one_that_does_not_exist(
    seed: SeedLedger, runtime: Runtime, tree: dict[str, int]
) -> None:
    """Financing quotes, early payment and settlement claims on a token the caller cannot see answered
    403 not_holder while transfers answered 404: every action now answers alike for a piece the caller
    may not see and one that does not exist, and 403 not_holder only for one it sees but does not hold."""
    credit_programme = open_early_payment_programme(seed, runtime)
    terms = publish_terms(seed.bank, 600, min_amount="1.00", max_amount="9.00", budget="9.00")
    unseen, missing = tree["b"], 424242  # B's piece: A sees neither it nor anything split off it

    def actions(token: int) -> list[tuple[str, dict[str, Any] | None]]:
        redeem = f"/v1/early-payment-programmes/{credit_programme['id']}/redemptions"
        return [
            (f"/v1/notes/{token}/transfers", {"to_participant_id": seed.c.participant_id, "amount": "1.00"}),
            (
                f"/v1/notes/{token}/transfers/signing-request",
                {"to_participant_id": seed.c.participant_id, "amount": "1.00"},
            ),
            (f"/v1/notes/{token}/financing-quotes", {"terms_id": terms["id"], "amount": "1.00"}),
            (redeem, {"token_id": token, "amount": "1000000.00"}),
            (f"/v1/notes/{token}/settlement-claims", None),
        ]

    for (unseen_path, unseen_body), (missing_path, missing_body) in zip(
        actions(unseen), actions(missing), strict=True
    ):
        on_unseen, on_missing = (
            seed.a.post(unseen_path, json=unseen_body),
            seed.a.post(missing_path, json=missing_body),
        )
        _same_answer(on_unseen, on_missing, unseen, missing)
        assert on_unseen.json()["code"] == "note_not_found"
    # seen (it is where A's piece came from) but not held: 403 not_holder, for every action alike
    for path, body in actions(tree["root"]):
        expect_error(seed.a.post(path, json=body), 403, "not_holder")


def test_merging_into_a_piece_not_the_recipients_answers_alike_whatever_it_is(
    seed: SeedLedger, tree: dict[str, int]
) -> None:
    path = f"/v1/notes/{tree['root']}/transfers"
    body = {"to_participant_id": seed.c.participant_id, "amount": "1000000.00"}
    answers = [
        seed.t1.post(path, json={**body, "into_token_id": into})
        for into in (tree["bank"], 424242, tree["b"])  # the Bank's, none, B's
    ]
    for answer in answers:
        expect_error(answer, 404, "note_not_found")
    assert (
        len(
            {
                answer.text.replace(str(into), "ID")
                for answer, into in zip(answers, (tree["bank"], 424242, tree["b"]), strict=True)
            }
        )
        == 1
    )


def test_programmes_and_withdrawn_terms_of_others_answer_as_missing(
    seed: SeedLedger, runtime: Runtime, admin: ApiUser
) -> None:
    programme = open_early_payment_programme(seed, runtime)["id"]
    outsider = seed.bank  # holds nothing of the voucher
    for suffix in ("", "/quote?amount=1.00"):
        _same_answer(
            outsider.get(f"/v1/early-payment-programmes/{programme}{suffix}"),
            outsider.get(f"/v1/early-payment-programmes/424242{suffix}"),
            programme,
            424242,
        )
    for suffix in ("/redemptions", "/closure"):
        body = {"token_id": 1, "amount": "1.00"} if suffix == "/redemptions" else None
        _same_answer(
            outsider.post(f"/v1/early-payment-programmes/{programme}{suffix}", json=body),
            outsider.post(f"/v1/early-payment-programmes/424242{suffix}", json=body),
            programme,
            424242,
        )
    rival = register(admin, "Rival bank", "financier")
    terms = publish_terms(seed.bank, 600, min_amount="1.00", max_amount="9.00", budget="9.00")
    expect_error(rival.post(f"/v1/financing/terms/{terms['id']}/withdrawal"), 403, "forbidden")  # public
    assert seed.bank.post(f"/v1/financing/terms/{terms['id']}/withdrawal").status_code == 200
    _same_answer(
        rival.post(f"/v1/financing/terms/{terms['id']}/withdrawal"),
        rival.post("/v1/financing/terms/4242/withdrawal"),
        terms["id"],
        4242,
    )
