"""rtpengine's NG control protocol for the benchmarks: a cookie, a space, a bencoded dictionary, over UDP."""
import random, sys

def bencode(value):
    if isinstance(value, int): return b"i%de" % value
    if isinstance(value, str): value = value.encode()
    if isinstance(value, bytes): return b"%d:%s" % (len(value), value)
    if isinstance(value, list): return b"l" + b"".join(map(bencode, value)) + b"e"
    if isinstance(value, dict): return b"d" + b"".join(bencode(k) + bencode(v) for k, v in sorted(value.items())) + b"e"
    raise TypeError(value)

def bdecode(data, i=0):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i); return int(data[i + 1:end]), end + 1
    if c in (b"l", b"d"):
        i += 1; items = []
        while data[i:i + 1] != b"e":
            item, i = bdecode(data, i); items.append(item)
        return (items if c == b"l" else {items[k].decode(): items[k + 1] for k in range(0, len(items), 2)}), i + 1
    colon = data.index(b":", i); length = int(data[i:colon])
    return data[colon + 1:colon + 1 + length], colon + 1 + length

def ng(control, address, command):
    cookie = "%08x" % random.getrandbits(32)
    control.sendto(cookie.encode() + b" " + bencode(command), address)
    while True:
        reply, _ = control.recvfrom(65536)
        if reply.startswith(cookie.encode() + b" "): break
    answer, _ = bdecode(reply, len(cookie) + 1)
    if answer.get("result") != b"ok": sys.exit(f"rtpengine {command['command']}: {answer}")
    return answer

def sdp(port):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")

