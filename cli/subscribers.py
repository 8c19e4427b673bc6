"""``safer subscribers``: downstream subscribers, their sharing agreements and API keys."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import Subparsers
from safer.errors import ConfigError
from safer.settings import load_settings


def _subscribers(args: argparse.Namespace) -> int:
    from geography.areas import load_areas
    from sharing.agreements import load_agreements
    from sharing.registry import Subscribers

    settings = load_settings()
    areas = load_areas(settings.partnership)
    registry = Subscribers(settings.subscribers_path, settings.agreements_path, areas)
    if args.action == "list":
        agreements = load_agreements(settings.agreements_path, areas)
        print("name\tstate\tkey\tlevel\tsources\tprecision\tdelay_h\trevision\ttopic")
        for sub in registry.load().values():
            a = agreements.get(sub.name)
            state = "active" if sub.active else f"revoked {sub.revoked}"
            sources = ",".join(s.value for s in a.sources) if a else ""
            terms = (
                [a.level.value, sources, a.precision.value, f"{a.delay_hours:g}", a.revision]
                if a
                else ["-"] * 5
            )
            topic = f"{settings.topic_prefix}sub.{sub.name}.v1"
            print("\t".join([sub.name, state, sub.key_prefix + "…", *terms, topic]))
        return 0
    if not args.name:
        raise ConfigError(f"safer subscribers {args.action} needs a NAME")
    if args.action == "webhook":
        url = None if args.url in (None, "off") else args.url
        secret = registry.set_webhook(args.name, url)
        if secret is None:
            print(f"{args.name}: webhook removed")
        else:
            print(f"{args.name}: records will be POSTed to {url} by the gateway")
            print(f"signing secret (shown once; verify webhook-signature with it): {secret}")
        return 0
    if args.action == "revoke":
        registry.revoke(args.name)
        print(f"revoked {args.name}: its key is refused and its topic no longer fed")
        return 0
    if args.agreement is None:
        raise ConfigError("safer subscribers add needs --agreement FILE")
    agreement, key = registry.add(args.name, Path(args.agreement), new_key=args.new_key)
    print(
        f"subscriber {args.name}: agreement {agreement.revision} installed in "
        f"{settings.agreements_path} ({agreement.level.value}, {agreement.precision.value}); "
        f"topic {settings.topic_prefix}sub.{args.name}.v1"
    )
    if key is None:
        print("its API key is unchanged (--new-key makes a new one)")
    else:
        print(f"API key (shown once, keep it safe): {key}")
    return 0


def register_subscribers(sub: Subparsers) -> None:
    p = sub.add_parser(
        "subscribers",
        help="downstream subscribers: sharing agreements and API keys",
        description="Installs a subscriber's sharing agreement (a TOML file; README "
        "'Subscribing') and makes its API key, printed once and stored hashed; lists "
        "subscribers; revokes a key (refused from then on, and the subscriber's topic is no "
        "longer fed); sets a webhook (records POSTed by the gateway, signed to the Standard "
        "Webhooks spec; the secret is printed once). The worker applies a new or changed "
        "agreement within SAFER_AGREEMENTS_RELOAD_S, rebuilding the subscriber's topic from "
        "the canonical log.",
    )
    p.add_argument("action", choices=["add", "list", "revoke", "webhook"])
    p.add_argument("name", nargs="?", help="subscriber name (as in its agreement)")
    p.add_argument("url", nargs="?", help="webhook: the endpoint's URL, or 'off'")
    p.add_argument("--agreement", metavar="FILE", help="the agreement's TOML file (add)")
    p.add_argument(
        "--new-key", action="store_true", help="add: replace an existing subscriber's key"
    )
    p.set_defaults(handler=_subscribers)
