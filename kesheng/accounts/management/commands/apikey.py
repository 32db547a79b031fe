"""``kesheng apikey create|list|revoke``: API keys for integrators."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kesheng.accounts.actions import create_api_key, revoke_api_key
from kesheng.accounts.models import Scope
from kesheng.accounts.queries import list_api_keys
from kesheng.core.errors import InvalidInput, NotFound


class Command(BaseCommand):
    help = _(
        "Create, list and revoke API keys. 'create' prints the new key alone on the last line; "
        "only its hash is stored, so keep it then."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")
        create = commands.add_parser(
            "create",
            help=_("create a key with scopes"),
            description=_("Create a key; the new key is printed alone on the last line."),
        )
        create.add_argument("--name", required=True, help=_("who or what uses the key"))
        create.add_argument(
            "--scopes",
            required=True,
            help=_("comma-separated scopes, from: %(scopes)s")
            % {"scopes": ", ".join(Scope.values)},
        )
        listing = commands.add_parser("list", help=_("list keys (never their secrets)"))
        listing.add_argument("--json", action="store_true", help=_("print JSON"))
        listing.add_argument("--active", action="store_true", help=_("leave out revoked keys"))
        revoke = commands.add_parser("revoke", help=_("revoke a key by its prefix"))
        revoke.add_argument("prefix", help=_("the key's prefix, e.g. ks_1a2b3c4d"))

    def handle(self, *args, **options):
        handler = getattr(self, f"handle_{options['subcommand']}")
        handler(options)

    def handle_create(self, options):
        scopes = [scope for scope in options["scopes"].split(",") if scope.strip()]
        try:
            new_key = create_api_key(name=options["name"], scopes=scopes)
        except InvalidInput as invalid:
            raise CommandError(
                "\n".join(f"{error.field}: {error.reason}" for error in invalid.errors),
                returncode=2,
            ) from None
        api_key = new_key.api_key
        self.stdout.write(
            _("Created API key %(name)s (ks_%(prefix)s) with scopes: %(scopes)s.")
            % {"name": api_key.name, "prefix": api_key.prefix, "scopes": ", ".join(api_key.scopes)}
        )
        self.stdout.write(_("Store it now; it is shown only this once. The key:"))
        self.stdout.write(new_key.plaintext)

    def handle_list(self, options):
        keys = list(list_api_keys(include_revoked=not options["active"]))
        rows = [
            {
                "prefix": f"ks_{key.prefix}",
                "name": key.name,
                "scopes": key.scopes,
                "created_at": key.created_at.isoformat(),
                "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
                "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
            }
            for key in keys
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write(_("No API keys yet. Create one with: kesheng apikey create"))
            return
        for row in rows:
            state = (
                _("revoked %(at)s") % {"at": row["revoked_at"][:19]}
                if row["revoked_at"]
                else _("active")
            )
            last_used = row["last_used_at"][:19] if row["last_used_at"] else _("never used")
            # The label is a whole template (not an f-string) so makemessages extracts it.
            used = _("last used: %(when)s") % {"when": last_used}
            self.stdout.write(
                f"{row['prefix']}  {row['name']}  [{', '.join(row['scopes'])}]  {state}  {used}"
            )

    def handle_revoke(self, options):
        try:
            api_key = revoke_api_key(prefix=options["prefix"])
        except NotFound as missing:
            raise CommandError(missing.message, returncode=2) from None
        self.stdout.write(
            _("Revoked API key %(name)s (ks_%(prefix)s).")
            % {"name": api_key.name, "prefix": api_key.prefix}
        )
