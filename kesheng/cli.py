"""The ``kesheng`` console script: Django's management commands plus the project's own."""

import os
import sys

# Commands whose public name has a dash; Django module names cannot.
COMMAND_ALIASES = {"demo-data": "demo_data"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesheng.settings")
    from django.core.management import execute_from_command_line

    arguments = list(sys.argv if argv is None else argv)
    arguments[0] = "kesheng"
    if len(arguments) > 1:
        arguments[1] = COMMAND_ALIASES.get(arguments[1], arguments[1])
    if len(arguments) > 2 and arguments[1] == "help":
        arguments[2] = COMMAND_ALIASES.get(arguments[2], arguments[2])
    execute_from_command_line(arguments)


if __name__ == "__main__":
    main()
