#!/usr/bin/env python3
"""Generates the crawl benchmark's site: N agreement-like pages of ~40 KB each.

Each page has a header and navigation (as real GCA pages do), a main section with an h1, key
facts, accordion-like sections of prose, a lots list and a documents table, and links to 20
other pages, so the crawler must discover the site by following links from /index.html.
Deterministic (seeded), so runs are comparable.
"""
import os
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rnd = random.Random(42)
WORDS = ("framework agreement supplier lot buyer public sector procurement contract service "
         "value award tender notice specification delivery estates technology workforce health "
         "social care digital outcomes support maintenance facilities management energy "
         "construction professional services consultancy fleet travel print legal").split()


def para(k):
    return " ".join(rnd.choice(WORDS) for _ in range(k)).capitalize() + "."


def page(i):
    links = "".join(
        f'<li><a href="/agreements/RM{7000 + j}.html">Agreement RM{7000 + j}</a></li>'
        for j in rnd.sample(range(n), 20))
    nav = "".join(f'<li><a href="/section/{k}">Section {k}</a></li>' for k in range(40))
    sections = "".join(
        f"<h2>Section {s}</h2>" + "".join(f"<p>{para(60)}</p>" for _ in range(6))
        for s in range(11))
    lots = "".join(
        f"<li>Lot {l}: {para(6)} <span>Expires: {rnd.randint(1, 28):02d}/0{rnd.randint(1, 9)}/2027</span></li>"
        for l in range(1, 12))
    docs = "".join(
        f'<tr><td>{para(4)}</td><td><a href="/files/doc-{i}-{d}.pdf">doc-{i}-{d}.pdf</a></td></tr>'
        for d in range(5))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RM{7000 + i} Agreement {i}</title>
<link rel="stylesheet" href="/assets/site.css?v=123456"><script src="/assets/app.js"></script></head>
<body><header><a href="/">Home</a><nav><ul>{nav}</ul></nav></header>
<main><h1>Agreement RM{7000 + i}</h1><p>{para(40)}</p>
<dl><dt>Agreement ID</dt><dd>RM{7000 + i}</dd><dt>Start date</dt><dd>01/04/2025</dd>
<dt>End date</dt><dd>31/03/2029</dd></dl>{sections}<h2>Lots</h2><ul>{lots}</ul>
<h2>Documents</h2><table>{docs}</table><h2>Related</h2><ul>{links}</ul></main>
<footer><p>{para(30)}</p></footer></body></html>
"""


os.makedirs(os.path.join(out, "agreements"), exist_ok=True)
total = 0
for i in range(n):
    body = page(i).encode()
    total += len(body)
    with open(os.path.join(out, "agreements", f"RM{7000 + i}.html"), "wb") as f:
        f.write(body)
index = "".join(f'<li><a href="/agreements/RM{7000 + i}.html">RM{7000 + i}</a></li>' for i in range(n))
with open(os.path.join(out, "index.html"), "w") as f:
    f.write(f"<!doctype html><html><head><title>Agreements</title></head><body><main><h1>Agreements</h1><ul>{index}</ul></main></body></html>")
with open(os.path.join(out, "robots.txt"), "w") as f:
    f.write("User-agent: *\nDisallow: /files/\n")
print(total)
