from tests.conftest import SeedLedger, transfer


def test_seed_scenario_runs(seed: SeedLedger) -> None:
    root = seed.voucher["root_token_id"]
    to_a = transfer(seed.t1, root, seed.a, "30000000.00")
    assert to_a["remaining"] == "70000000.00"
