#!/usr/bin/env python3
"""Follows Saman's events on NATS JetStream with a durable pull consumer and prints
each one as a line of JSON: its subject, stream, version, type, id and body.

The classes come from the contract itself (proto/saman/events/v1/events.proto),
generated with grpcio-tools' protoc:

    python -m grpc_tools.protoc -I proto --python_out=GEN proto/saman/events/v1/events.proto

and GEN given with --generated (see examples/python/README.md). The connection is TLS
with the deployment's authority, as the read-only `subscriber` user
(docs/security.md, "NATS"). The consumer is durable: run it again with the same
--durable name and it resumes after the last event it acknowledged.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=os.environ.get("SAMAN_NATS_URL", "nats://127.0.0.1:4222"))
    p.add_argument("--ca", default=os.environ.get("SAMAN_NATS_CA"), help="the authority of the server's certificate (PEM)")
    p.add_argument("--user", default=os.environ.get("SAMAN_NATS_USER", "subscriber"))
    p.add_argument("--password-file", default=os.environ.get("SAMAN_NATS_PASSWORD_FILE"))
    p.add_argument("--stream", default="SAMAN_EVENTS")
    p.add_argument("--subject", default="saman.events.v1.>", help="e.g. saman.events.v1.zone.zone-01.>")
    p.add_argument("--durable", default="python-example")
    p.add_argument("--generated", required=True, help="the directory protoc wrote the classes into")
    p.add_argument("--count", type=int, default=0, help="stop after this many events (0: follow for ever)")
    p.add_argument("--idle", type=float, default=5.0, help="with --count: give up after this many seconds without an event")
    return p.parse_args()


async def main():
    args = parse_args()
    sys.path.insert(0, args.generated)
    from google.protobuf.json_format import MessageToDict
    from saman.events.v1 import events_pb2
    import nats
    from nats.errors import TimeoutError as NatsTimeout

    tls = ssl.create_default_context(cafile=args.ca) if args.ca else None
    password = None
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.read().strip()
    nc = await nats.connect(args.url, tls=tls, user=args.user, password=password,
                            max_reconnect_attempts=3)
    js = nc.jetstream()
    sub = await js.pull_subscribe(args.subject, durable=args.durable, stream=args.stream)
    seen = 0
    try:
        while args.count == 0 or seen < args.count:
            try:
                messages = await sub.fetch(batch=100, timeout=args.idle)
            except NatsTimeout:
                if args.count:
                    print(f"consume_events: {seen} of {args.count} events within {args.idle}s of each other",
                          file=sys.stderr)
                    return 1
                continue
            for msg in messages:
                envelope = events_pb2.Envelope()
                envelope.ParseFromString(msg.data)
                body = envelope.WhichOneof("body")
                print(json.dumps({
                    "subject": msg.subject,
                    "stream_id": envelope.stream_id,
                    "stream_version": envelope.stream_version,
                    "event_type": envelope.event_type,
                    "event_id": envelope.event_id,
                    # None: a type newer than this copy of events.proto; skip it.
                    "body": MessageToDict(getattr(envelope, body), preserving_proto_field_name=True) if body else None,
                }, ensure_ascii=False), flush=True)
                # Apply the event and record (stream_id, stream_version) in one
                # transaction, then acknowledge: a crash before the ack redelivers it.
                await msg.ack()
                seen += 1
    finally:
        await nc.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
