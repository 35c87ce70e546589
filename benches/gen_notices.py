#!/usr/bin/env python3
"""Generates the quietwatch-vs-urlwatch benchmark's site in two versions, v1 and v2.

    python3 benches/gen_notices.py OUT_DIR PAGES BASE_URL

writes OUT_DIR/v1/ and OUT_DIR/v2/ (each a document root for nginx) and OUT_DIR/manifest.json.

The pages are shaped like GOV.UK procurement notices (Find a Tender / Contracts Finder): the
GOV.UK template (skip link, cookie banner, header with the crown logo, service navigation,
phase banner, breadcrumbs), a notice with a summary list of key facts, description sections,
lots with CPV codes and award criteria tables, documents, contact details and related notices,
then the GOV.UK footer. About 47 KB a page, of which about a third is text.

v1 → v2 is the issue-12 workload, scaled with PAGES (the issue's figures are for 500):
- 5% of the notices are **rewritten** (value, closing date, lot 1's title and a paragraph of
  the description change: real changes, every one must be reported);
- 2% are **deleted** (404 in v2);
- 1% are **new** (listed in v2's sitemap only);
- every other notice differs **only by the footer timestamp** ("Page generated at ..."): noise
  that must never be reported.
Every v2 file gets an mtime one day after v1's, so nginx's ETag and Last-Modified change with
it (a timestamp-only change keeps the size, and nginx's ETag is mtime-size: with equal mtimes
it would answer 304 to a changed file).

Discovery is by sitemap, as on GOV.UK: /robots.txt names /sitemap.xml, an index of
/sitemaps/notices-K.xml files of at most 10,000 notices each, bucketed by notice number so that
deleting or adding a notice changes one bucket only. The home page (/index.html, the crawl's
start page) is the same in both versions. Each notice also links 10 related notices.

Deterministic: notice i is generated from its own seeded RNG, so a site of 50,000 pages starts
with the same 500 as a site of 500 (and generation streams: nothing is held per page).
Prints one JSON line to stdout: total bytes per version and the counts.
"""
import json
import os
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2])
base = sys.argv[3].rstrip("/")
BUCKET = 10_000
V1_MTIME = 1_793_000_000  # 2026-10-26
V2_MTIME = V1_MTIME + 86_400

n_rewritten = max(1, n * 5 // 100)
n_deleted = max(1, n * 2 // 100)
n_new = max(1, n // 100)
pick = random.Random(f"workload-{n}")
changed_ids = pick.sample(range(n), n_rewritten + n_deleted)
rewritten = sorted(changed_ids[:n_rewritten])
deleted = sorted(changed_ids[n_rewritten:])
new = list(range(n, n + n_new))
rewritten_set, deleted_set = set(rewritten), set(deleted)


def notice_path(i):
    return f"/Notice/{i + 10000:06d}-2026"


WORDS = ("the authority requires a supplier to provide services across all sites including "
         "maintenance support delivery of equipment training and management of the contract "
         "in line with the specification social value carbon reduction plan and data protection "
         "requirements lots may be awarded separately tenderers must demonstrate capability "
         "experience capacity and compliance with the procurement act 2023 and relevant "
         "regulations the estimated value includes all optional extensions").split()
BUYERS = ["NHS Shared Business Services", "Crown Commercial Service", "Ministry of Defence",
          "Department for Education", "Leeds City Council", "NHS England", "Transport for London",
          "Home Office", "HM Revenue and Customs", "Scottish Water", "Cardiff Council",
          "University of Manchester", "Environment Agency", "Network Rail"]
SUBJECTS = ["Facilities management", "Cleaning services", "Clinical waste collection",
            "Digital outcomes", "Managed print services", "Catering services", "Legal services",
            "Security services", "Grounds maintenance", "Medical imaging equipment",
            "Fleet management", "Energy supply", "Construction works", "Translation services",
            "Temporary staffing", "Cloud hosting", "Laboratory consumables"]
CPV = ["79710000 - Security services", "90910000 - Cleaning services",
       "72000000 - IT services: consulting, software development, Internet and support",
       "45000000 - Construction work", "85100000 - Health services",
       "55520000 - Catering services", "79530000 - Translation services",
       "50000000 - Repair and maintenance services", "09310000 - Electricity",
       "33100000 - Medical equipments", "90500000 - Refuse and waste related services",
       "79620000 - Supply services of personnel including temporary staff"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
CROWN = ('<svg xmlns="http://www.w3.org/2000/svg" focusable="false" role="img" '
         'class="govuk-header__logotype" viewBox="0 0 148 30" height="30" width="148" '
         'aria-label="GOV.UK"><title>GOV.UK</title><path d="M22.6 10.4c-1 .4-2-.1-2.4-1-.4-.9.1-2 '
         '1-2.4.9-.4 2 .1 2.4 1s-.1 2-1 2.4m-5.9 6.7c-.9.4-2-.1-2.4-1-.4-.9.1-2 1-2.4.9-.4 2 .1 '
         '2.4 1s-.1 2-1 2.4m10.8-3.7c-1 .4-2-.1-2.4-1-.4-.9.1-2 1-2.4.9-.4 2 .1 2.4 1s0 2-1 2.4m3.3 '
         '4.8c-1 .4-2-.1-2.4-1-.4-.9.1-2 1-2.4.9-.4 2 .1 2.4 1s-.1 2-1 2.4M17 4.7l2.3 1.2V2.5l-2.3.7'
         '-.2-.2.9-3h-3.4l.9 3-.2.2c-.1.1-2.3-.7-2.3-.7v3.4L15 4.7c.1.1.1.2.2.2l-1.3 4c-.1.2-.1.4-.1'
         '.6 0 1.1.8 2 1.9 2.2h.7c1-.2 1.9-1.1 1.9-2.1 0-.2 0-.4-.1-.6l-1.3-4c-.1-.2 0-.2.1-.3m-7.6 '
         '5.7c.9.4 2-.1 2.4-1 .4-.9-.1-2-1-2.4-.9-.4-2 .1-2.4 1s0 2 1 2.4m-5 3c.9.4 2-.1 2.4-1 .4-.9'
         '-.1-2-1-2.4-.9-.4-2 .1-2.4 1s.1 2 1 2.4m-3.2 4.8c.9.4 2-.1 2.4-1 .4-.9-.1-2-1-2.4-.9-.4-2 '
         '.1-2.4 1s0 2 1 2.4m14.8 11c4.4 0 8.6.3 12.3.8 1.1-4.5 2.4-7 3.7-8.8l-2.5-.9c.2 1.3.3 1.9 0 '
         '2.7-.4-.4-.8-1.1-1.1-2.3l-1.2 4c.7-.5 1.3-.8 2-.9-1.1 2.5-2.6 3.1-3.5 3-1.1-.2-1.7-1.2-1.5'
         '-2.1.3-1.2 1.5-1.5 2.1-.1 1.1-2.3-.8-3-2-2.3 1.9-1.9 2.1-3.5.6-5.6-2.1 1.6-2.1 3.2-1.2 5.5'
         '-1.2-1.4-3.2-.6-2.5 1.6.9-1.4 2.1-.5 1.9.8-.2 1.1-1.7 2.1-3.5 1.9-2.7-.2-2.9-2.1-2.9-3.6.7'
         '-.1 1.9.5 2.9 1.9l.4-4.3c-1.1 1.1-2.1 1.4-3.2 1.4.4-1.2 2.1-3 2.1-3h-5.4s1.7 1.9 2.1 3c-1.1 '
         '0-2.1-.2-3.2-1.4l.4 4.3c1-1.4 2.2-2 2.9-1.9-.1 1.5-.2 3.4-2.9 3.6-1.9.2-3.4-.8-3.5-1.9-.2'
         '-1.3 1-2.2 1.9-.8.7-2.3-1.2-3-2.5-1.6.9-2.2.9-3.9-1.2-5.5-1.5 2-1.3 3.7.6 5.6-1.2-.7-3.1'
         '.1-2 2.3.6-1.4 1.8-1.1 2.1.1.2.9-.3 1.9-1.5 2.1-.9.2-2.4-.5-3.5-3 .6 0 1.2.3 2 .9l-1.2-4c'
         '-.3 1.1-.7 1.9-1.1 2.3-.3-.8-.2-1.4 0-2.7l-2.9.9C1.3 23 2.6 25.5 3.7 30c3.7-.5 7.9-.8 '
         '12.3-.8"></path></svg>')


def para(rnd, k):
    return " ".join(rnd.choice(WORDS) for _ in range(k)).capitalize() + "."


def money(rnd):
    return f"£{rnd.randint(20, 9_000) * 1_000:,}"


def date(rnd, year=2026):
    return f"{rnd.randint(1, 28)} {rnd.choice(MONTHS)} {year}"


def notice_data(i):
    """Everything a notice shows, drawn from notice i's own RNG (v1's content)."""
    rnd = random.Random(f"notice-{i}")
    d = {
        "i": i,
        "subject": rnd.choice(SUBJECTS),
        "buyer": rnd.choice(BUYERS),
        "kind": rnd.choice(["Tender notice", "Planned procurement notice", "Contract award notice"]),
        "value": money(rnd),
        "published": date(rnd),
        "closing": date(rnd, 2027),
        "ocid": f"ocds-h6vhtk-{rnd.randint(10000, 99999):05d}",
        "description": [para(rnd, rnd.randint(60, 110)) for _ in range(12)],
        "history": [(date(rnd), rnd.choice(["Tender notice", "Clarification", "Deadline extended", "Documents updated"])) for _ in range(8)],
        "lots": [],
        "related": [rnd.randrange(n) for _ in range(10)],
        "contact": (f"{rnd.choice(['Procurement', 'Commercial', 'Category'])} team",
                    f"{rnd.randint(1, 200)} {rnd.choice(['High Street', 'Station Road', 'Victoria Street'])}",
                    f"tenders{rnd.randint(1, 99)}@example.gov.uk",
                    f"0{rnd.randint(1000, 9999)} {rnd.randint(100000, 999999)}"),
    }
    for lot in range(1, rnd.randint(5, 8) + 1):
        d["lots"].append({
            "title": f"{rnd.choice(SUBJECTS)} ({rnd.choice(['North', 'South', 'Midlands', 'London', 'Wales', 'Scotland'])})",
            "value": money(rnd),
            "text": [para(rnd, rnd.randint(40, 70)) for _ in range(3)],
            "cpv": rnd.sample(CPV, 3),
            "criteria": [("Quality", rnd.randint(40, 70)), ("Price", rnd.randint(20, 40)),
                         ("Social value", 10)],
            "duration": rnd.randint(12, 60),
        })
    return d


def rewrite(d):
    """v2 of a rewritten notice: the figures, lot 1's title and a paragraph change."""
    rnd = random.Random(f"rewrite-{d['i']}")
    d = dict(d)
    d["value"] = money(rnd)
    d["closing"] = date(rnd, 2027)
    d["description"] = list(d["description"])
    d["description"][2] = para(rnd, 90)
    d["lots"] = [dict(lot) for lot in d["lots"]]
    d["lots"][0]["title"] = f"{rnd.choice(SUBJECTS)} (National)"
    return d


HEAD_ASSETS = "".join(
    f'<link rel="stylesheet" href="/assets/stylesheets/{c}.css?v=5.7.1" media="all">'
    for c in ("application", "print", "govuk-frontend", "notice"))
SCRIPTS = ('<script src="/assets/javascripts/govuk-frontend.min.js?v=5.7.1" type="module"></script>'
           '<script type="module">import { initAll } from "/assets/javascripts/govuk-frontend.min.js";'
           "initAll();</script><script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer"
           ".push(arguments)}gtag('js',new Date());gtag('config','G-XXXXXXXXXX',{anonymize_ip:true,"
           "cookie_flags:'SameSite=None;Secure'});</script>")
COOKIE_BANNER = (
    '<div class="govuk-cookie-banner" data-nosnippet role="region" aria-label="Cookies on Find a '
    'Tender"><div class="govuk-cookie-banner__message govuk-width-container"><div class="govuk-grid-row">'
    '<div class="govuk-grid-column-two-thirds"><h2 class="govuk-cookie-banner__heading govuk-heading-m">'
    'Cookies on Find a Tender</h2><div class="govuk-cookie-banner__content"><p class="govuk-body">We use '
    "some essential cookies to make this service work.</p><p class=\"govuk-body\">We'd also like to use "
    "analytics cookies so we can understand how you use the service and make improvements.</p></div></div>"
    '</div><div class="govuk-button-group"><button value="accept" type="button" name="cookies" '
    'class="govuk-button" data-module="govuk-button">Accept analytics cookies</button><button '
    'value="reject" type="button" name="cookies" class="govuk-button" data-module="govuk-button">Reject '
    'analytics cookies</button><a class="govuk-link" href="/cookies">View cookies</a></div></div></div>')
NAV = "".join(
    f'<li class="govuk-service-navigation__item"><a class="govuk-service-navigation__link" '
    f'href="/{slug}">{label}</a></li>' for slug, label in (
        ("Search", "Search notices"), ("Dashboard", "Dashboard"), ("Organisations", "Organisations"),
        ("Guidance", "Guidance"), ("Help", "Help"), ("Login", "Sign in")))
FOOTER_LINKS = "".join(
    f'<li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="/{slug}">'
    f"{label}</a></li>" for slug, label in (
        ("help", "Help"), ("privacy", "Privacy"), ("cookies", "Cookies"),
        ("accessibility", "Accessibility statement"), ("terms", "Terms and conditions"),
        ("contact", "Contact"), ("status", "Service status"), ("api", "API"),
        ("data", "Open data"), ("cymraeg", "Rhestr o Wasanaethau Cymraeg")))


def summary_row(key, value):
    return (f'<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{key}</dt>'
            f'<dd class="govuk-summary-list__value">{value}</dd></div>')


def ocds(d):
    """The notice's OCDS release as JSON in a script tag (scripts are noise to extraction)."""
    release = {
        "ocid": d["ocid"], "id": f"{d['ocid']}-{d['i']}", "date": d["published"], "tag": ["tender"],
        "buyer": {"name": d["buyer"], "id": f"GB-GOR-{d['i'] % 977:04d}"},
        "tender": {"title": d["subject"], "value": {"amount": d["value"], "currency": "GBP"},
                   "tenderPeriod": {"endDate": d["closing"]},
                   "lots": [{"id": str(k), "title": lot["title"], "value": {"amount": lot["value"]},
                             "items": [{"classification": {"scheme": "CPV", "description": c}}
                                       for c in lot["cpv"]]}
                            for k, lot in enumerate(d["lots"], 1)]},
    }
    return f'<script type="application/ld+json">{json.dumps(release)}</script>'


def history(d):
    rows = "".join(
        f'<tr class="govuk-table__row"><td class="govuk-table__cell">{when}</td><td '
        f'class="govuk-table__cell"><a class="govuk-link" href="/Notice/History/{d["i"]}-{k}">{what}</a>'
        '</td></tr>' for k, (when, what) in enumerate(d["history"]))
    return ('<table class="govuk-table"><thead class="govuk-table__head"><tr class="govuk-table__row">'
            '<th scope="col" class="govuk-table__header">Date</th><th scope="col" '
            f'class="govuk-table__header">Event</th></tr></thead><tbody class="govuk-table__body">{rows}'
            '</tbody></table>')


def render(d):
    """The notice as HTML, without its footer (which carries the per-version timestamp)."""
    i = d["i"]
    ref = f"{i + 10000:06d}-2026"
    title = f"{d['subject']} - {d['buyer']}"
    facts = "".join(summary_row(k, v) for k, v in (
        ("Notice identifier", ref), ("Procurement identifier (OCID)", d["ocid"]),
        ("Notice type", d["kind"]), ("Published", d["published"]), ("Buyer", d["buyer"]),
        ("Estimated value (excluding VAT)", d["value"]),
        ("Submission deadline", f"{d['closing']}, 12:00pm"), ("Procedure", "Open procedure"),
        ("Main category", "Services"), ("Contract locations", "UKC - North East (England), UKD - North West (England)"),
        ("Suitable for SMEs", "Yes"), ("Suitable for VCSEs", "Yes"),
        ("Framework", "No"), ("Electronic auction", "No")))
    desc = "".join(f'<p class="govuk-body">{p}</p>' for p in d["description"])
    lots = []
    for k, lot in enumerate(d["lots"], 1):
        cpv = "".join(f'<li>{c}</li>' for c in lot["cpv"])
        crit = "".join(
            f'<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{name}</th>'
            f'<td class="govuk-table__cell">{pc}%</td><td class="govuk-table__cell">'
            f'{"Quality" if name != "Price" else "Price"}</td></tr>' for name, pc in lot["criteria"])
        lots.append(
            f'<div class="govuk-tabs__panel" id="lot-{k}"><h3 class="govuk-heading-m">Lot {k}. '
            f'{lot["title"]}</h3><dl class="govuk-summary-list">'
            + summary_row("Lot value (estimated)", lot["value"])
            + summary_row("Contract dates (estimated)", f"{lot['duration']} months")
            + summary_row("Renewal", "The contract may be extended by up to 24 months")
            + "</dl>" + "".join(f'<p class="govuk-body">{t}</p>' for t in lot["text"])
            + f'<h4 class="govuk-heading-s">CPV classifications</h4><ul class="govuk-list govuk-list--bullet">{cpv}</ul>'
            + '<h4 class="govuk-heading-s">Award criteria</h4><table class="govuk-table"><thead '
            'class="govuk-table__head"><tr class="govuk-table__row"><th scope="col" '
            'class="govuk-table__header">Name</th><th scope="col" class="govuk-table__header">Weighting'
            f'</th><th scope="col" class="govuk-table__header">Type</th></tr></thead><tbody class="govuk-table__body">{crit}</tbody></table></div>')
    tabs = "".join(f'<li class="govuk-tabs__list-item"><a class="govuk-tabs__tab" href="#lot-{k}">'
                   f"Lot {k}</a></li>" for k in range(1, len(d["lots"]) + 1))
    docs = "".join(
        f'<li><a class="govuk-link" href="/Notice/Download/{ref}-{k}.pdf">{name} (PDF, '
        f"{(i * 7 + k * 13) % 900 + 100} KB)</a></li>"
        for k, name in enumerate(("Specification", "Invitation to tender", "Terms and conditions",
                                  "Pricing schedule", "Social value questionnaire"), 1))
    related = "".join(f'<li><a class="govuk-link" href="{notice_path(j)}">Notice {j + 10000:06d}-2026'
                      "</a></li>" for j in d["related"])
    c = d["contact"]
    return (
        f'<!DOCTYPE html><html lang="en" class="govuk-template govuk-template--rebranded"><head>'
        f'<meta charset="utf-8"><title>{title} - Find a Tender - GOV.UK</title><meta name="viewport" '
        'content="width=device-width, initial-scale=1, viewport-fit=cover"><meta name="theme-color" '
        f'content="#1d70b8"><link rel="icon" sizes="48x48" href="/assets/images/favicon.ico">{HEAD_ASSETS}'
        f'<meta property="og:image" content="/assets/images/govuk-opengraph-image.png">'
        f'<link rel="canonical" href="{base}{notice_path(i)}">{ocds(d)}</head>'
        '<body class="govuk-template__body"><script>document.body.className += " js-enabled" + '
        "('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');</script>"
        f'<a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>{COOKIE_BANNER}'
        f'<header class="govuk-header" data-module="govuk-header"><div class="govuk-header__container '
        f'govuk-width-container"><div class="govuk-header__logo"><a href="/" class="govuk-header__link '
        f'govuk-header__link--homepage">{CROWN}</a></div></div></header><section aria-label="Service '
        'information" class="govuk-service-navigation" data-module="govuk-service-navigation"><div '
        'class="govuk-width-container"><div class="govuk-service-navigation__container"><span '
        'class="govuk-service-navigation__service-name"><a href="/" class="govuk-service-navigation__link">'
        'Find a Tender</a></span><nav aria-label="Menu" class="govuk-service-navigation__wrapper"><ul '
        f'class="govuk-service-navigation__list" id="navigation">{NAV}</ul></nav></div></div></section>'
        '<div class="govuk-width-container"><div class="govuk-phase-banner"><p class="govuk-phase-banner__content">'
        '<strong class="govuk-tag govuk-phase-banner__content__tag">Beta</strong><span '
        'class="govuk-phase-banner__text">This is a new service. Help us improve it and <a class="govuk-link" '
        'href="/feedback">give your feedback</a>.</span></p></div><nav class="govuk-breadcrumbs" '
        'aria-label="Breadcrumb"><ol class="govuk-breadcrumbs__list"><li class="govuk-breadcrumbs__list-item">'
        '<a class="govuk-breadcrumbs__link" href="/">Home</a></li><li class="govuk-breadcrumbs__list-item">'
        '<a class="govuk-breadcrumbs__link" href="/Search">Search notices</a></li><li '
        f'class="govuk-breadcrumbs__list-item">{ref}</li></ol></nav>'
        '<main class="govuk-main-wrapper" id="main-content" role="main"><div class="govuk-grid-row">'
        f'<div class="govuk-grid-column-two-thirds"><span class="govuk-caption-l">{d["kind"]}</span>'
        f'<h1 class="govuk-heading-l">{title}</h1><p class="govuk-body-l">{d["buyer"]} is seeking '
        f'suppliers for {d["subject"].lower()}.</p><h2 class="govuk-heading-m">Key information</h2>'
        f'<dl class="govuk-summary-list">{facts}</dl><h2 class="govuk-heading-m">Description</h2>{desc}'
        f'<h2 class="govuk-heading-m">Lots</h2><div class="govuk-tabs" data-module="govuk-tabs"><ul '
        f'class="govuk-tabs__list">{tabs}</ul>{"".join(lots)}</div>'
        '<h2 class="govuk-heading-m">Participation</h2><p class="govuk-body">Conditions of participation: '
        f'{para(random.Random(f"cond-{i}"), 120)}</p>'
        f'<h2 class="govuk-heading-m">Notice history</h2>{history(d)}'
        f'<h2 class="govuk-heading-m">Documents</h2><ul class="govuk-list">{docs}</ul>'
        f'<h2 class="govuk-heading-m">Contact</h2><address class="govuk-body">{d["buyer"]}<br>{c[0]}<br>'
        f'{c[1]}<br>Email: <a class="govuk-link" href="mailto:{c[2]}">{c[2]}</a><br>Telephone: {c[3]}'
        '</address></div><div class="govuk-grid-column-one-third"><aside class="app-related-items" '
        'role="complementary"><h2 class="govuk-heading-s" id="related">Related notices</h2><nav '
        f'aria-labelledby="related"><ul class="govuk-list govuk-!-font-size-16">{related}</ul></nav>'
        '</aside></div></div></main></div>')


def footer(version, i):
    # Fixed width, so a timestamp-only change keeps the file's size (see the mtimes above).
    t = 1_793_000_000 + (i * 7 if version == 1 else i * 7 + 11_863) % 86_400
    hh, mm, ss = t // 3600 % 24, t // 60 % 60, t % 60
    day = "26 October 2026" if version == 1 else "27 October 2026"
    return (
        '<footer class="govuk-footer"><div class="govuk-width-container"><div class="govuk-footer__meta">'
        '<div class="govuk-footer__meta-item govuk-footer__meta-item--grow"><h2 class="govuk-visually-hidden">'
        f'Support links</h2><ul class="govuk-footer__inline-list">{FOOTER_LINKS}</ul>'
        f'<p class="govuk-footer__meta-custom">Page generated at {hh:02d}:{mm:02d}:{ss:02d} on {day}</p>'
        '<svg aria-hidden="true" focusable="false" class="govuk-footer__licence-logo" xmlns="http://www.w3.org/2000/svg" '
        'viewBox="0 0 483.2 195.7" height="17" width="41"><path fill="currentColor" d="M421.5 142.8V.1l-50.7 32.3v161.1h112.4v-50.7zm-122.3-9.6A47.12 47.12 0 0 1 221 97.8c0-26 21.1-47.1 47.1-47.1 16.7 0 31.4 8.7 39.7 21.8l42.7-27.2A97.63 97.63 0 0 0 268.1 0c-36.5 0-68.3 20.1-85.1 49.7A98 98 0 0 0 97.8 0C43.9 0 0 43.9 0 97.8s43.9 97.8 97.8 97.8c36.5 0 68.3-20.1 85.1-49.7a97.76 97.76 0 0 0 149.6 25.4l19.4 22.2h3v-87.8h-80l24.3 27.5zM97.8 145c-26 0-47.1-21.1-47.1-47.1s21.1-47.1 47.1-47.1 47.2 21 47.2 47S123.8 145 97.8 145"/></svg>'
        '<span class="govuk-footer__licence-description">All content is available under the <a '
        'class="govuk-footer__link" href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" '
        'rel="license">Open Government Licence v3.0</a>, except where otherwise stated</span></div>'
        '<div class="govuk-footer__meta-item"><a class="govuk-footer__link govuk-footer__copyright-logo" '
        'href="https://www.nationalarchives.gov.uk/information-management/re-using-public-sector-information/uk-government-licensing-framework/crown-copyright/">'
        '© Crown copyright</a></div></div></div></footer>' + SCRIPTS + "</body></html>")


HOME = (f'<!DOCTYPE html><html lang="en" class="govuk-template"><head><meta charset="utf-8"><title>'
        'Find a Tender - GOV.UK</title></head><body class="govuk-template__body"><main class="govuk-main-wrapper" '
        'id="main-content"><h1 class="govuk-heading-xl">Find a Tender</h1><p class="govuk-body-l">Search for '
        'public sector procurement notices in the UK.</p><ul class="govuk-list"><li><a class="govuk-link" '
        'href="/Search">Search notices</a></li><li><a class="govuk-link" href="/Guidance">Guidance</a></li></ul>'
        '</main></body></html>')


def write(path, data, mtime):
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (mtime, mtime))


def sitemaps(root, ids, mtime):
    buckets = {}
    for i in ids:
        buckets.setdefault(i // BUCKET, []).append(i)
    os.makedirs(os.path.join(root, "sitemaps"), exist_ok=True)
    index = []
    for k in sorted(buckets):
        urls = "".join(f"<url><loc>{base}{notice_path(i)}</loc></url>" for i in buckets[k])
        write(os.path.join(root, "sitemaps", f"notices-{k}.xml"),
              ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
               f'schemas/sitemap/0.9">{urls}</urlset>').encode(), mtime)
        index.append(f"<sitemap><loc>{base}/sitemaps/notices-{k}.xml</loc></sitemap>")
    write(os.path.join(root, "sitemap.xml"),
          ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/'
           f'schemas/sitemap/0.9">{"".join(index)}</sitemapindex>').encode(), mtime)
    return [f"/sitemaps/notices-{k}.xml" for k in sorted(buckets)]


totals = {1: 0, 2: 0}
for v in (1, 2):
    os.makedirs(os.path.join(out, f"v{v}", "Notice"), exist_ok=True)
for i in range(n + n_new):
    d = notice_data(i)
    page = render(d).encode()
    for v in (1, 2):
        if (v == 1 and i >= n) or (v == 2 and i in deleted_set):
            continue
        body = render(rewrite(d)).encode() if v == 2 and i in rewritten_set else page
        data = body + footer(v, i).encode()
        totals[v] += len(data)
        write(os.path.join(out, f"v{v}", notice_path(i).lstrip("/")), data,
              V1_MTIME if v == 1 else V2_MTIME)

v1_ids = range(n)
v2_ids = [i for i in range(n + n_new) if i not in deleted_set]
for v, ids in ((1, v1_ids), (2, v2_ids)):
    root = os.path.join(out, f"v{v}")
    mtime = V1_MTIME if v == 1 else V2_MTIME
    maps = sitemaps(root, ids, mtime)
    write(os.path.join(root, "index.html"), HOME.encode(), mtime)
    write(os.path.join(root, "robots.txt"),
          f"User-agent: *\nDisallow: /Search\nSitemap: {base}/sitemap.xml\n".encode(), mtime)
manifest = {
    "pages": n, "base": base, "bytes_v1": totals[1], "bytes_v2": totals[2],
    "v1": [notice_path(i) for i in v1_ids],
    "v2": [notice_path(i) for i in v2_ids],
    "rewritten": [notice_path(i) for i in rewritten],
    "deleted": [notice_path(i) for i in deleted],
    "new": [notice_path(i) for i in new],
    "sitemaps_v1": [f"/sitemaps/notices-{k}.xml" for k in sorted({i // BUCKET for i in v1_ids})],
    "sitemaps_v2": [f"/sitemaps/notices-{k}.xml" for k in sorted({i // BUCKET for i in v2_ids})],
}
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f)
print(json.dumps({k: manifest[k] for k in ("pages", "bytes_v1", "bytes_v2")}
                 | {"rewritten": len(rewritten), "deleted": len(deleted), "new": len(new)}))
