"""Who may do what. Every check reads the caller from the signed payload, on every request."""

from __future__ import annotations

from sunday_mining.domain.errors import PermissionDenied
from sunday_mining.domain.guild import GuildConfig, Role
from sunday_mining.domain.session import Session, SessionType
from sunday_mining.interactions.payload import ADMINISTRATOR, MANAGE_GUILD, Interaction


def is_admin(interaction: Interaction) -> bool:
    return bool(interaction.permissions & (ADMINISTRATOR | MANAGE_GUILD))


def has_role(interaction: Interaction, config: GuildConfig, role: Role) -> bool:
    return bool(interaction.roles & config.role_ids(role))


def is_leader(interaction: Interaction, config: GuildConfig) -> bool:
    return is_admin(interaction) or has_role(interaction, config, Role.LEADER)


def require_admin(interaction: Interaction) -> None:
    if not is_admin(interaction):
        raise PermissionDenied("Only members with Manage Server can change Sunday Mining's setup.")


def require_leader(interaction: Interaction, config: GuildConfig) -> None:
    if is_leader(interaction, config):
        return
    if not config.role_ids(Role.LEADER):
        raise PermissionDenied(
            "Only op leaders can do that, and this server has no leader role yet: an admin "
            "(Manage Server) runs `/mining-admin roles add kind:leader` to name one."
        )
    raise PermissionDenied(
        "Only op leaders can do that; an admin can give your role leader rights with "
        "`/mining-admin roles add kind:leader`."
    )


def require_adhoc_creator(interaction: Interaction, config: GuildConfig) -> None:
    # With no adhoc roles configured, any member may run an adhoc session.
    allowed = config.role_ids(Role.ADHOC)
    if allowed and not (is_leader(interaction, config) or interaction.roles & allowed):
        raise PermissionDenied(
            "Adhoc sessions are limited to certain roles here; ask an admin for one."
        )


def require_payroll_officer(interaction: Interaction, config: GuildConfig) -> None:
    if not (is_admin(interaction) or has_role(interaction, config, Role.PAYROLL)):
        raise PermissionDenied(
            "Only payroll officers can run payroll; an admin can add your role with "
            "/mining-admin roles add kind:payroll."
        )


def may_manage(interaction: Interaction, config: GuildConfig, session: Session) -> bool:
    """Leaders manage every session; the creator of an adhoc session manages their own."""
    if is_leader(interaction, config):
        return True
    return session.type is SessionType.ADHOC and session.creator_id == interaction.user_id


def require_manage(interaction: Interaction, config: GuildConfig, session: Session) -> None:
    if not may_manage(interaction, config, session):
        who = "its creator or an op leader" if session.type is SessionType.ADHOC else "op leaders"
        raise PermissionDenied(f"Only {who} can change '{session.name}'.")
