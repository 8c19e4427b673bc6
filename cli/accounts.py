"""``safer accounts``: dashboard sign-in accounts."""

from __future__ import annotations

import argparse
import sys

from cli.common import Subparsers
from safer.errors import ConfigError
from safer.settings import load_settings


def _accounts(args: argparse.Namespace) -> int:
    from aggregates.disclosure import Role
    from dashboard.access import Accounts, new_password

    accounts = Accounts(load_settings().accounts_path)
    if args.action == "list":
        for account in accounts.load().values():
            print(f"{account.name}\t{account.role.value}")
        return 0
    if not args.name:
        raise ConfigError(f"safer accounts {args.action} needs a NAME")
    if args.action == "remove":
        if not accounts.remove(args.name):
            raise ConfigError(f"no account {args.name!r} in {accounts.path}")
        print(f"removed {args.name}")
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        generated = False
    else:
        password, generated = new_password(), True
    account = accounts.add(args.name, Role(args.role), password)
    print(f"account {account.name} ({account.role.value}) saved in {accounts.path}")
    if generated:
        print(f"password: {password}")
    return 0


def register_accounts(sub: Subparsers) -> None:
    from aggregates.disclosure import Role

    p = sub.add_parser(
        "accounts",
        help="dashboard sign-in accounts (analyst, partner, public)",
        description="Adds, removes or lists dashboard accounts. Passwords are stored as "
        "salted PBKDF2 hashes; without --password-stdin a password is generated and "
        "printed once. Re-adding an account with its current password changes only its "
        "role; a new password, or removing it, ends its dashboard sessions.",
    )
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("name", nargs="?", help="account name (lower case)")
    p.add_argument("--role", choices=[r.value for r in Role], default=Role.PARTNER.value)
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p.set_defaults(handler=_accounts)
