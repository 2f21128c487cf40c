"""Settlement rules: the pro-rata share of a partial payment (a voucher's lifecycle, which settlement
ends, is `service.domain.vouchers.VoucherStatus`).

The settlement vault enforces it on chain; this pure version serves previews in the API, and tests
check they agree with the contract.
"""

from __future__ import annotations


def compute_pro_rata_payment(
    value_minor: int, available_minor: int, outstanding_minor: int, unit_minor: int
) -> int:
    """A piece's payment from `available` cash against `outstanding` value, in whole units, rounded down.

    Whole units because the paid value is burned and pieces stay unit multiples; rounded down so
    the sum over all pieces never exceeds the cash. The remainder stays in the vault for the next
    round (after more funding, or once the admin closes the round), so no minor unit is lost.
    """
    if available_minor >= outstanding_minor:
        return value_minor
    return value_minor * available_minor // outstanding_minor // unit_minor * unit_minor
