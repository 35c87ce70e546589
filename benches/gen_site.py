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
# "dense": 80% of each page is prose of random words (worst case for compression and the
# search index). "markup": shaped like a real GCA agreement page — mega-menu navigation,
# accordion markup with classes and ARIA attributes, inline SVG icons, JSON-LD and analytics
# scripts, and ~6 KB of templated procurement prose.
profile = sys.argv[3] if len(sys.argv) > 3 else "dense"
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


SENTENCES = [
    "This agreement allows public sector buyers to procure {what} from a range of suppliers.",
    "Lot {lot} covers {what} for central government and the wider public sector.",
    "The agreement runs until {date} and can be extended by up to {n} months.",
    "Buyers can use a further competition or, for some lots, a direct award.",
    "Suppliers on lot {lot} have been assessed for financial standing and technical capability.",
    "Customer guidance and the call-off terms are available in the documents section.",
    "Contact the {what} category team if you need help choosing the right lot.",
    "Prices are capped at the rates published in the pricing matrix for {year}.",
    "Social value commitments are evaluated at call-off, with a minimum weighting of {n}%.",
    "The estimated total value of the agreement is {money} over its lifetime.",
]
WHATS = ["facilities management", "workforce services", "technology products", "legal services",
         "energy", "fleet solutions", "construction works", "digital outcomes", "print management",
         "travel services", "clinical staffing", "estates professional services"]


def sentence():
    return rnd.choice(SENTENCES).format(
        what=rnd.choice(WHATS), lot=rnd.randint(1, 12), n=rnd.randint(3, 24),
        date=f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/20{rnd.randint(26, 31)}",
        year=rnd.randint(2024, 2028), money=f"£{rnd.randint(1, 900)}m")


ICON = ('<svg class="icon" aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="24" '
        'height="24"><path d="M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm1 '
        '15h-2v-6h2v6zm0-8h-2V7h2v2z"/></svg>')


def markup_page(i):
    rm = f"RM{7000 + i}"
    groups = "".join(
        f'<li class="nav__group"><span class="nav__heading">Group {g}</span><ul class="nav__list">'
        + "".join(f'<li class="nav__item nav__item--level-2"><a class="nav__link" '
                  f'href="/section/{g}/{k}">Menu item {g}.{k}</a></li>' for k in range(24))
        + "</ul></li>" for g in range(8))
    head = (f'<!doctype html><html lang="en-GB" class="govuk-template"><head><meta charset="utf-8">'
            f'<title>{rm} {rnd.choice(WHATS).title()} | Government Commercial Agency</title>'
            + "".join(f'<link rel="stylesheet" href="/assets/css/{c}.css?ver=6.4.{i % 7}">' for c in
                      ("main", "print", "accordion", "tags", "tables", "cookie"))
            + '<script type="application/ld+json">{"@context":"https://schema.org","@type":"WebPage",'
            f'"name":"{rm}","publisher":{{"@type":"GovernmentOrganization","name":"Government '
            'Commercial Agency","url":"https://www.gca.gov.uk"}}}</script>'
            '<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}'
            "gtag('js',new Date());gtag('config','G-XXXXXXX',{anonymize_ip:true});</script>"
            "</head>")
    header = (f'<body class="govuk-template__body"><div class="cookie-banner" role="region">'
              '<p>We use some essential cookies to make this service work.</p></div>'
              f'<header class="site-header"><a class="site-header__logo" href="/">{ICON}</a>'
              f'<nav class="nav" aria-label="Main"><ul class="nav__groups">{groups}</ul></nav></header>'
              '<div class="breadcrumbs"><ol><li><a href="/">Home</a></li><li><a href="/agreements">'
              f"Agreements</a></li><li>{rm}</li></ol></div>")
    facts = "".join(f'<div class="key-facts__row"><dt class="key-facts__key">{k}</dt>'
                    f'<dd class="key-facts__value">{v}</dd></div>' for k, v in (
                        ("Agreement ID", rm), ("Start date", "01/04/2025"),
                        ("End date", f"{rnd.randint(1, 28):02d}/03/2029"), ("Lots", "12"),
                        ("Suppliers", str(rnd.randint(5, 300)))))
    sections = "".join(
        f'<div class="govuk-accordion__section"><div class="govuk-accordion__section-header">'
        f'<h2 class="govuk-accordion__section-heading"><button type="button" aria-expanded="false" '
        f'class="govuk-accordion__section-button" id="accordion-heading-{s}">{ICON}{title}</button>'
        f'</h2></div><div id="accordion-content-{s}" class="govuk-accordion__section-content" '
        f'aria-labelledby="accordion-heading-{s}">'
        + "".join(f'<p class="govuk-body">{" ".join(sentence() for _ in range(3))}</p>'
                  for _ in range(3)) + "</div></div>"
        for s, title in enumerate(("Updates", "Description", "Benefits", "How to buy", "Contact")))
    lots = "".join(
        f'<li class="lot"><h3 class="lot__title">Lot {l}: {rnd.choice(WHATS).title()}</h3>'
        f'<strong class="govuk-tag govuk-tag--grey">Expires: {rnd.randint(1, 28):02d}/0'
        f'{rnd.randint(1, 9)}/2027</strong> <a class="lot__suppliers" href="/agreements/{rm}:{l}'
        f'/lot-suppliers">{rnd.randint(2, 90)} suppliers</a></li>' for l in range(1, 13))
    docs = "".join(
        f'<tr class="govuk-table__row"><td class="govuk-table__cell">{ICON}Document {d}</td>'
        f'<td class="govuk-table__cell"><a class="govuk-link" href="/files/{rm}-doc-{d}.pdf">'
        f'{rm}-doc-{d}.pdf</a></td></tr>' for d in range(6))
    related = "".join(f'<li><a href="/agreements/RM{7000 + j}.html">Agreement RM{7000 + j}</a></li>'
                      for j in rnd.sample(range(n), 20))
    footer = ('<footer class="site-footer"><ul class="site-footer__links">'
              + "".join(f'<li><a href="/footer/{k}">Footer link {k}</a></li>' for k in range(40))
              + "</ul><p>All content is available under the Open Government Licence v3.0, except "
              "where otherwise stated. © Crown copyright</p></footer></body></html>")
    main = (f'<main id="main-content" class="govuk-main-wrapper"><h1 class="govuk-heading-xl">{rm}'
            f'</h1><p class="govuk-body-l">{sentence()}</p><dl class="key-facts">{facts}</dl>'
            f'<div class="govuk-accordion" data-module="govuk-accordion">{sections}</div>'
            f'<h2>Products and suppliers</h2><ul class="lots">{lots}</ul><h2>Documents</h2>'
            f'<table class="govuk-table">{docs}</table><h2>Related</h2><ul>{related}</ul></main>')
    return head + header + main + footer


os.makedirs(os.path.join(out, "agreements"), exist_ok=True)
total = 0
for i in range(n):
    body = (markup_page(i) if profile == "markup" else page(i)).encode()
    total += len(body)
    with open(os.path.join(out, "agreements", f"RM{7000 + i}.html"), "wb") as f:
        f.write(body)
index = "".join(f'<li><a href="/agreements/RM{7000 + i}.html">RM{7000 + i}</a></li>' for i in range(n))
with open(os.path.join(out, "index.html"), "w") as f:
    f.write(f"<!doctype html><html><head><title>Agreements</title></head><body><main><h1>Agreements</h1><ul>{index}</ul></main></body></html>")
with open(os.path.join(out, "robots.txt"), "w") as f:
    f.write("User-agent: *\nDisallow: /files/\n")
print(total)
