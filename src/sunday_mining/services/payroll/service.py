"""The payroll service: one class made of the parts of the flow, each in its own module."""

from __future__ import annotations

from sunday_mining.services.payroll.cuts import CutEdits
from sunday_mining.services.payroll.discarding import Discarding
from sunday_mining.services.payroll.finalizing import Finalizing
from sunday_mining.services.payroll.haul import HaulEdits
from sunday_mining.services.payroll.listing import PayrollListing
from sunday_mining.services.payroll.members import MemberEdits
from sunday_mining.services.payroll.opening import PayrollOpening
from sunday_mining.services.payroll.payments import Payments
from sunday_mining.services.payroll.refinery_haul import RefineryHaul


class PayrollService(
    PayrollListing,
    PayrollOpening,
    MemberEdits,
    HaulEdits,
    RefineryHaul,
    CutEdits,
    Finalizing,
    Discarding,
    Payments,
):
    """Payroll versions of stopped sessions; built with its ports by the composition root."""
