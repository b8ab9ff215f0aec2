#!/usr/bin/env python3
"""An HTTP sink for sustained.sh: reads each request body whole and answers 204, so wrk against it
measures what the load generator alone can send. Usage: sink.py PORT"""
import asyncio
import sys


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port, limit=1 << 20)
    async with server:
        await server.serve_forever()


asyncio.run(main(int(sys.argv[1])))
