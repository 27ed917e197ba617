"""A real SMTP server for the tests (aiosmtpd): every message it accepts is written to
DIR/NNNNNN.eml, headed by X-Envelope-To lines. Prints "ready PORT" once listening.

usage: python3 smtp_sink.py DIR [PORT]   (PORT 0 or absent: any free port)
"""

import asyncio
import itertools
import os
import sys

from aiosmtpd.smtp import SMTP


class Saver:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(self.directory, f"{os.getpid()}-{next(self.counter):06d}.eml")
        head = "".join(f"X-Envelope-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        with open(name + ".part", "wb") as out:
            out.write(head.encode("ascii"))
            out.write(envelope.original_content)
        os.rename(name + ".part", name)
        return "250 Message accepted"


async def main(directory, port):
    os.makedirs(directory, exist_ok=True)
    handler = Saver(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", enable_SMTPUTF8=True),
        "127.0.0.1",
        port,
        reuse_address=True,
    )
    print("ready", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0))
