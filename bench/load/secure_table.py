#!/usr/bin/env python3
"""Renders the table of bench/run-secure-side-by-side.sh from the raw files in its OUT_DIR.

usage: secure_table.py OUT_DIR [md|json|both]

Reads, for each of reference, cairn-https and cairn-http: <name>.push.jsonl and
<name>.pull.jsonl (one curl timing per line), <name>.load.<test>.jsonl (one cairn-load JSON per
line, with the server's CPU-seconds during it), <name>.server.json (CPU-seconds of the whole run,
peak RSS) and notes.txt. Takes medians, writes secure-side-by-side.md and secure-side-by-side.json
into OUT_DIR and prints the chosen format on stdout. The run's knobs come from the environment
(REPS, DURATION, BIG_MIB, CONNECTIONS, BCRYPT_COST, TARGETS, RUN_DATE). Standard library only.
"""
import json
import os
import statistics
import sys

NAMES = ['reference', 'cairn-https', 'cairn-http']
AUTH_OF = {'reference': 'TLS + Basic on every request (htpasswd, bcrypt)',
           'cairn-https': 'TLS + Bearer token from /_token (htpasswd user)',
           'cairn-http': 'plain HTTP, no auth'}


def read_lines(path):
    runs = []
    try:
        with open(path) as f:
            for line in f:
                if line.strip():
                    runs.append(json.loads(line))
    except (OSError, ValueError):
        pass
    return runs


def median(runs, key):
    vals = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    return statistics.median(vals) if vals else None


def figures(out_dir, name, reps):
    """The figures of one target: a dict of key -> median (or None)."""
    f = {}
    for kind in ('push', 'pull'):
        runs = read_lines(os.path.join(out_dir, f'{name}.{kind}.jsonl'))
        f[f'{kind}_MBps'] = median(runs, 'MBps')
        f[f'{kind}_server_cpu_s'] = median(runs, 'server_cpu_s')
        f[f'{kind}_runs'] = len(runs)
    for test in ('head_small', 'get_manifest', 'head_small_basic', 'get_manifest_basic'):
        runs = read_lines(os.path.join(out_dir, f'{name}.load.{test}.jsonl'))
        for k in ('rps', 'p50_ms', 'p99_ms', 'errors', 'non2xx'):
            f[f'{test}_{k}'] = median(runs, k)
        cpu_per = [r['server_cpu_s'] / r['requests'] * 1e6 for r in runs
                   if r.get('requests') and isinstance(r.get('server_cpu_s'), (int, float))]
        f[f'{test}_server_cpu_us_per_req'] = statistics.median(cpu_per) if cpu_per else None
        f[f'{test}_runs'] = len(runs)
    server = None
    try:
        with open(os.path.join(out_dir, f'{name}.server.json')) as fh:
            server = json.load(fh)
    except (OSError, ValueError):
        pass
    f['server_cpu_s'] = server.get('server_cpu_s') if server else None
    f['vmhwm_mib'] = server['vmhwm_kib'] / 1024 if server and server.get('vmhwm_kib') else None
    return f


ROWS = [
    # key, label, higher is better (+1) / lower (-1)
    ('push_MBps', 'push {big} MiB, one request (MB/s)', +1),
    ('pull_MBps', 'pull {big} MiB (MB/s)', +1),
    ('head_small_rps', 'HEAD small blob, c={c} (req/s)', +1),
    ('head_small_p99_ms', '  p99 (ms)', -1),
    ('head_small_server_cpu_us_per_req', '  server CPU per request (µs)', -1),
    ('get_manifest_rps', 'GET manifest, c={c} (req/s)', +1),
    ('get_manifest_p99_ms', '  p99 (ms)', -1),
    ('get_manifest_server_cpu_us_per_req', '  server CPU per request (µs)', -1),
    ('head_small_basic_rps', 'HEAD small blob, Basic credentials each request (req/s)', +1),
    ('head_small_basic_p99_ms', '  p99 (ms)', -1),
    ('get_manifest_basic_rps', 'GET manifest, Basic credentials each request (req/s)', +1),
    ('get_manifest_basic_p99_ms', '  p99 (ms)', -1),
    ('push_server_cpu_s', 'server CPU-seconds for one push', -1),
    ('pull_server_cpu_s', 'server CPU-seconds for one pull', -1),
    ('server_cpu_s', 'server CPU-seconds, whole run of the target', -1),
    ('vmhwm_mib', 'server peak RSS (MiB)', -1),
]


def fmt(v):
    if v is None:
        return '—'
    if abs(v) >= 100:
        return f'{v:,.0f}'
    if abs(v) >= 10:
        return f'{v:,.1f}'
    return f'{v:,.2f}'


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def main():
    out_dir = sys.argv[1]
    fmt_out = sys.argv[2] if len(sys.argv) > 2 else 'md'
    env = {k: os.environ.get(k) for k in
           ('REPS', 'DURATION', 'BIG_MIB', 'CONNECTIONS', 'BCRYPT_COST', 'RUN_DATE', 'TARGETS')}
    big = env['BIG_MIB'] or '?'
    conns = env['CONNECTIONS'] or '64'
    figs = {n: figures(out_dir, n, env['REPS']) for n in NAMES}
    notes = []
    try:
        with open(os.path.join(out_dir, 'notes.txt')) as f:
            notes = [line.rstrip('\n') for line in f if line.strip()]
    except OSError:
        pass

    rows_json = []
    lines = [
        f'Secure side by side, {env["RUN_DATE"] or "?"}: REPS={env["REPS"]} '
        f'DURATION={env["DURATION"]}s BIG_MIB={big} BCRYPT_COST={env["BCRYPT_COST"] or 5}, '
        'medians; all over 127.0.0.1.',
        '',
        '| figure | reference (Distribution 2.8, TLS + htpasswd) | cairn-https (TLS + token) '
        '| cairn-http (plain) | cairn-https / reference | cairn-https / cairn-http |',
        '|---|---:|---:|---:|---:|---:|',
    ]
    for key, label, better in ROWS:
        vals = [figs[n].get(key) for n in NAMES]
        if all(v is None for v in vals):
            continue
        r_ref = ratio(vals[1], vals[0])
        r_http = ratio(vals[1], vals[2])
        text = label.format(big=big, c=conns)
        lines.append(f'| {text} | ' + ' | '.join(fmt(v) for v in vals) +
                     f' | {fmt(r_ref) + "×" if r_ref is not None else "—"}'
                     f' | {fmt(r_http) + "×" if r_http is not None else "—"} |')
        rows_json.append({'figure': key, 'label': text, 'better': 'higher' if better > 0 else 'lower',
                          **{n: v for n, v in zip(NAMES, vals)},
                          'cairn-https/reference': r_ref, 'cairn-https/cairn-http': r_http})
    errs = []
    for n in NAMES:
        for test in ('head_small', 'get_manifest', 'head_small_basic', 'get_manifest_basic'):
            e, x = figs[n].get(f'{test}_errors'), figs[n].get(f'{test}_non2xx')
            if e or x:
                errs.append(f'{n} {test}: median errors {fmt(e)}, non-2xx {fmt(x)}')
    lines += [
        '',
        'Credentials: reference = ' + AUTH_OF['reference'] + '; cairn-https = ' +
        AUTH_OF['cairn-https'] + ' (the "Basic credentials each request" rows send '
        'user:password instead, which cairn verifies once and then remembers); cairn-http = ' +
        AUTH_OF['cairn-http'] + '. Distribution has no built-in token server, so its clients '
        'send Basic credentials on every request and it runs bcrypt on each.',
        'Ratios: higher is better for MB/s and req/s, lower for ms, CPU and RSS. Server CPU is '
        'utime+stime from /proc/PID/stat; the load generator (cairn-load, also doing TLS) shares '
        'the same cores.',
    ]
    if errs:
        lines += ['', 'Errors: ' + '; '.join(errs)]
    if notes:
        lines += ['', 'Notes:'] + [f'- {n}' for n in notes]
    md = '\n'.join(lines) + '\n'
    doc = {'run_date': env['RUN_DATE'], 'knobs': env, 'rows': rows_json, 'figures': figs,
           'notes': notes}
    with open(os.path.join(out_dir, 'secure-side-by-side.md'), 'w') as f:
        f.write(md)
    with open(os.path.join(out_dir, 'secure-side-by-side.json'), 'w') as f:
        json.dump(doc, f, indent=1)
    if fmt_out in ('md', 'both'):
        sys.stdout.write(md)
    if fmt_out in ('json', 'both'):
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write('\n')


if __name__ == '__main__':
    main()
