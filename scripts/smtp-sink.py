#!/usr/bin/env python3
"""A real SMTP server for the e-mail tests (aiosmtpd, which scripts/bootstrap installs), and a reader
of what it received (Python's own MIME parser, not ours).

  smtp-sink.py serve --port P --maildir DIR [--starttls-cert C --starttls-key K | --tls-cert C --tls-key K]
                     [--username U --password W] [--auth-mechanisms PLAIN,LOGIN] [--fail-first N]
      Listens on 127.0.0.1:P until SIGTERM. Every accepted message is written as DIR/N.eml (the bytes
      of DATA after un-stuffing), with DIR/N.json beside it (envelope and login). With credentials,
      AUTH is required before MAIL, and only over TLS unless --auth-plaintext. --fail-first N answers
      451 to the first N messages, as a relay does that defers.
  smtp-sink.py inspect FILE.eml
      Prints the message as JSON: decoded headers, the text body, each attachment base64-encoded.
"""
import argparse
import base64
import email
import email.policy
import json
import logging
import os
import signal
import ssl
import sys
import threading
import warnings


def serve(args):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    # aiosmtpd touches its own deprecated Session.login_data on every AUTH, and warns of AUTH without
    # STARTTLS even when the whole session is TLS: noise in the tests' logs.
    logging.getLogger("mail.log").addFilter(
        lambda record: "login_data" not in record.getMessage() and "auth_require_tls" not in record.getMessage())
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")

    os.makedirs(args.maildir, exist_ok=True)
    lock = threading.Lock()
    counts = {"received": 0, "stored": 0}

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            with lock:
                counts["received"] += 1
                if counts["received"] <= args.fail_first:
                    print(f"smtp-sink: 451 for message {counts['received']}", flush=True)
                    return "451 4.3.0 Deferred by the test (fail-first)"
                counts["stored"] += 1
                number = counts["stored"]
            path = os.path.join(args.maildir, f"{number}.eml")
            # Written aside and renamed: a test polling the folder never reads half a message.
            with open(path + ".part", "wb") as out:
                out.write(envelope.original_content)
            login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
            with open(os.path.join(args.maildir, f"{number}.json"), "w") as out:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "login": login,
                           # aiosmtpd marks STARTTLS sessions only; with implicit TLS every session is one.
                           "tls": session.ssl is not None or args.tls_cert is not None}, out)
            os.rename(path + ".part", path)
            print(f"smtp-sink: stored {path}", flush=True)
            return "250 2.0.0 Stored"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == args.username.encode()
              and auth_data.password == args.password.encode())
        print(f"smtp-sink: AUTH {mechanism} {'accepted' if ok else 'refused'}", flush=True)
        # handled=False: aiosmtpd then answers a failure itself (535).
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def context(cert, key):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        return ctx

    options = {}
    if args.starttls_cert:
        options["tls_context"] = context(args.starttls_cert, args.starttls_key)
        options["require_starttls"] = True
    if args.username is not None:
        mechanisms = {m.strip().upper() for m in args.auth_mechanisms.split(",")}
        # aiosmtpd counts only STARTTLS as TLS: with implicit TLS it would never offer AUTH.
        require_tls = not args.auth_plaintext and args.tls_cert is None
        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=require_tls,
                       auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if m not in mechanisms])
    # SIGTERM and SIGINT are taken by the main thread with sigwait, blocked in every thread (the
    # server's too, so blocked before it starts): the tests spawn this with all signals blocked,
    # where a handler would never run.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    controller = Controller(Sink(), hostname="127.0.0.1", port=args.port, server_hostname="smtp-sink.test",
                            ssl_context=context(args.tls_cert, args.tls_key) if args.tls_cert else None, **options)
    controller.start()
    print(f"smtp-sink: listening on 127.0.0.1:{args.port}", flush=True)
    signal.sigwait(stop_signals)
    controller.stop()


def inspect(args):
    with open(args.file, "rb") as source:
        message = email.message_from_binary_file(source, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    attachments = [{"filename": part.get_filename(), "content_type": part.get_content_type(),
                    "disposition": part.get_content_disposition(),
                    "base64": base64.b64encode(part.get_payload(decode=True)).decode()}
                   for part in message.iter_attachments()]
    json.dump({"subject": str(message["subject"]), "from": str(message["from"]), "to": str(message["to"]),
               "date": str(message["date"]), "message_id": str(message["message-id"]),
               "mime_version": str(message["mime-version"]), "content_type": message.get_content_type(),
               "defects": [type(d).__name__ for part in message.walk() for d in part.defects],
               "text": body.get_content() if body is not None else None, "attachments": attachments},
              sys.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--maildir", required=True)
    s.add_argument("--starttls-cert")
    s.add_argument("--starttls-key")
    s.add_argument("--tls-cert", help="implicit TLS (port 465 style) with this certificate")
    s.add_argument("--tls-key")
    s.add_argument("--username")
    s.add_argument("--password")
    s.add_argument("--auth-mechanisms", default="PLAIN,LOGIN")
    s.add_argument("--auth-plaintext", action="store_true", help="allow AUTH without TLS")
    s.add_argument("--fail-first", type=int, default=0)
    i = commands.add_parser("inspect")
    i.add_argument("file")
    args = parser.parse_args()
    serve(args) if args.command == "serve" else inspect(args)


if __name__ == "__main__":
    main()
