import json

from events import instance
from events.log import my_author_id
from events.management.base import Command as BaseCommand


class Command(BaseCommand):
    help = "Print this instance's author id, name and base URL."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON object")

    def handle(self, *args, **options):
        who = instance.current()
        me = {"author": my_author_id(), "name": who.name, "url": who.public_url}
        text = f"author  {me['author']}\nname    {me['name']}\nurl     {me['url']}"
        self.stdout.write(json.dumps(me) if options["json"] else text)
