#!/usr/bin/env python3
"""Renders the table of bench/run-side-by-side.sh from the raw files in its OUT_DIR.

usage: side_by_side_table.py OUT_DIR [md|json|both]

Reads, for each of reference, cairn and cairn3 (three replicas): <name>.registry-bench.json
(registry-bench.sh's output), <name>.load.<test>.jsonl (one cairn-load JSON per line, medians
taken) and <name>.after-push.jsonl (push then pull at once, medians taken), plus iperf3.json,
machine.json and notes.txt. Writes side-by-side.md and side-by-side.json into OUT_DIR and prints
the chosen format on stdout. The run's knobs come from the environment (REPS, DURATION, BIG_MIB,
LOAD_REPS, LOAD_DURATION, RANGE_MIB, AFTER_PUSH_REPS, TARGETS, SUITES, RUN_DATE). Standard library only.
"""
import json
import os
import statistics
import sys

NAMES = ['reference', 'cairn', 'cairn3']
TITLES = {'reference': 'reference', 'cairn': 'cairn', 'cairn3': 'cairn ×3'}
LOAD_TESTS = (('head_small', 64), ('get_manifest', 64), ('range_64k', 32))
LOAD_FIELDS = ('rps', 'p50_ms', 'p99_ms', 'p999_ms', 'errors', 'non2xx', 'requests')


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_load(out_dir, name, test):
    """Median of each field over the runs of one cairn-load figure, or None."""
    runs = []
    try:
        with open(os.path.join(out_dir, f'{name}.load.{test}.jsonl')) as f:
            for line in f:
                if line.strip():
                    runs.append(json.loads(line))
    except (OSError, ValueError):
        pass
    if not runs:
        return None
    med = {k: statistics.median(r[k] for r in runs) for k in LOAD_FIELDS}
    # CPU per request (runs that noted it: run-side-by-side.sh adds server_cpu_ms, engine_cpu_ms)
    for who in ('server', 'engine'):
        per = [r[f'{who}_cpu_ms'] * 1000 / r['requests'] for r in runs
               if f'{who}_cpu_ms' in r and r['requests']]
        if per:
            med[f'{who}_cpu_us_per_req'] = round(statistics.median(per), 1)
    med['runs'] = len(runs)
    return med


def read_after_push(out_dir, name):
    """Median of each field over the after-push repetitions, or {}."""
    runs = []
    try:
        with open(os.path.join(out_dir, f'{name}.after-push.jsonl')) as f:
            runs = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        pass
    runs = [r for r in runs if isinstance(r, dict)]
    if not runs:
        return {}
    keys = set.intersection(*(set(r) for r in runs))
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def direction(key):
    """+1 when higher is better, -1 when lower is, 0 when neither."""
    k = key.lower()
    if 'bytes_per_req' in k:
        return 0
    if (k.endswith('_errors') or k.endswith('_non2xx') or '_ms' in k or 'cpu' in k
            or 'vmhwm' in k or 'vmrss' in k):
        return -1
    if 'mbps' in k or k.endswith('_rps'):
        return +1
    return 0


def fmt_value(v):
    if v is None:
        return '—'
    if isinstance(v, float) and v != int(v):
        return f'{v:,.3f}'.rstrip('0').rstrip('.')
    return f'{int(v):,}'


def main():
    out_dir = sys.argv[1]
    fmt = sys.argv[2] if len(sys.argv) > 2 else 'md'
    env = {k: os.environ.get(k) for k in
           ('REPS', 'DURATION', 'BIG_MIB', 'LOAD_REPS', 'LOAD_DURATION', 'RANGE_MIB',
            'AFTER_PUSH_REPS')}
    targets = os.environ.get('TARGETS', 'reference cairn').split()
    suites = os.environ.get('SUITES',
                            'iperf3 machine registry-bench after-push load').split()

    bench = {n: read_json(os.path.join(out_dir, f'{n}.registry-bench.json')) for n in NAMES}
    load = {n: {} for n in NAMES}
    for n in NAMES:
        for test, _ in LOAD_TESTS:
            r = read_load(out_dir, n, test)
            if r is not None:
                load[n][test] = r

    metrics = {n: {} for n in NAMES}
    keys = []
    for n in NAMES:
        for k, v in (bench[n] or {}).items():
            if k in ('samples', 'meta', 'errors') or not isinstance(v, (int, float)):
                continue
            metrics[n][k] = v
            if k not in keys:
                keys.append(k)
    after_push = {n: read_after_push(out_dir, n) for n in NAMES}
    for field in ('push_MBps', 'pull_MBps', 'push_server_cpu_s_per_GiB'):
        for n in NAMES:
            r = after_push[n]
            if field in r:
                big = int(r.get('big_mib', env['BIG_MIB'] or 0))
                k = f'after_push_{big}MiB_{field}'
                metrics[n][k] = r[field]
                if k not in keys:
                    keys.append(k)
    for test, c in LOAD_TESTS:
        for field in ('rps', 'p50_ms', 'p99_ms', 'p999_ms', 'errors', 'non2xx',
                      'server_cpu_us_per_req', 'engine_cpu_us_per_req'):
            k = f'load_{test}_c{c}_{field}'
            for n in NAMES:
                r = load[n].get(test)
                if r is not None and field in r:
                    metrics[n][k] = r[field]
            if any(k in metrics[n] for n in NAMES):
                keys.append(k)

    def ratio(k, n='cairn'):
        a, b = metrics['reference'].get(k), metrics[n].get(k)
        if a is None or b is None or a == 0:
            return None
        return round(b / a, 3)

    # cairn ×3 gets its columns when it ran.
    shown = [n for n in NAMES if n != 'cairn3' or metrics['cairn3']]
    rows = [{'metric': k, **{n: metrics[n].get(k) for n in shown}, 'ratio': ratio(k),
             **({'ratio_cairn3': ratio(k, 'cairn3')} if 'cairn3' in shown else {}),
             'better': {1: 'higher', -1: 'lower', 0: ''}[direction(k)]} for k in keys]

    notes = []
    try:
        with open(os.path.join(out_dir, 'notes.txt')) as f:
            notes = [line.rstrip('\n') for line in f if line.strip()]
    except OSError:
        pass
    for n in NAMES:
        if bench[n] is None:
            if n in targets and n != 'cairn3' and 'registry-bench' in suites:
                notes.append(f'{n}: no registry-bench result')
        else:
            for e in bench[n].get('errors', []):
                notes.append(f'{n} registry-bench error: {e}')
        for test, r in load[n].items():
            if r['errors'] or r['non2xx']:
                notes.append(f'{n} {test}: median errors={r["errors"]} non2xx={r["non2xx"]} '
                             '(figure not comparable)')

    iperf = read_json(os.path.join(out_dir, 'iperf3.json'))
    try:
        iperf_mbps = round(iperf['end']['sum_received']['bits_per_second'] / 8 / 1e6, 1)
    except (TypeError, KeyError):
        iperf_mbps = None

    machine = read_json(os.path.join(out_dir, 'machine.json')) or {}

    run_date = os.environ.get('RUN_DATE', '')
    combined = {
        'date_utc': run_date,
        'iperf3_loopback_MBps': iperf_mbps,
        'machine': machine,
        'rows': rows,
        **{n: metrics[n] for n in shown},
        'ratio_cairn_over_reference': {r['metric']: r['ratio'] for r in rows
                                       if r['ratio'] is not None},
        **({'ratio_cairn3_over_reference': {r['metric']: r['ratio_cairn3'] for r in rows
                                            if r['ratio_cairn3'] is not None}}
           if 'cairn3' in shown else {}),
        'load_medians': load,
        'meta': {n: (bench[n] or {}).get('meta', {}) for n in NAMES},
        'notes': notes,
        'env': env,
    }

    title = f'## cairn vs reference registry (docker-registry 2.8), {run_date}'
    if os.environ.get('BACKEND') == 's3':
        redirect = os.environ.get('S3_REDIRECT') == '1'
        title = (f'## On Ceph RGW: cairn (--blobs, metadata in PostgreSQL'
                 f"{', --s3-redirect' if redirect else ''}) vs docker-registry 2.8's s3 driver"
                 f" (redirect {'on' if redirect else 'off'}), {run_date}")
    md = [title, '']
    line = (f"REPS={env['REPS']} DURATION={env['DURATION']}s BIG_MIB={env['BIG_MIB']}; "
            f"cairn-load: {env['LOAD_REPS']} × {env['LOAD_DURATION']}s, "
            f"range blob {env['RANGE_MIB']} MiB; after-push: {env['AFTER_PUSH_REPS']} reps.")
    if iperf_mbps:
        line += f' Loopback TCP ceiling (iperf3, one stream): {fmt_value(iperf_mbps)} MB/s.'
    if machine.get('sha256_1MiB_one_core_MBps'):
        line += (f" SHA-256 on one core: {fmt_value(machine['sha256_1MiB_one_core_MBps'])} MB/s.")
    if machine.get('disk_write_direct_MBps'):
        line += (f" Disk write with O_DIRECT: {fmt_value(machine['disk_write_direct_MBps'])} MB/s.")
    three = 'cairn3' in shown
    if three:
        line += (' cairn ×3: three replicas over one bucket and one database, the load figures'
                 ' spread over them, after-push pulling through another replica than the push.')
    md += [line, '', '| metric | reference | cairn | cairn ÷ ref |'
           + (' cairn ×3 | ×3 ÷ ref |' if three else '') + ' better |',
           '|---|---:|---:|---:|' + ('---:|---:|' if three else '') + '---|']
    for r in rows:
        md.append(f"| {r['metric']} | {fmt_value(r['reference'])} | {fmt_value(r['cairn'])} "
                  f"| {fmt_value(r['ratio'])} |"
                  + (f" {fmt_value(r['cairn3'])} | {fmt_value(r['ratio_cairn3'])} |" if three
                     else '')
                  + f" {r['better']} |")
    if notes:
        md += ['', 'Notes:'] + [f'- {n}' for n in notes]
    md_text = '\n'.join(md) + '\n'

    with open(os.path.join(out_dir, 'side-by-side.md'), 'w') as f:
        f.write(md_text)
    with open(os.path.join(out_dir, 'side-by-side.json'), 'w') as f:
        json.dump(combined, f, indent=1)
    if fmt in ('md', 'both'):
        sys.stdout.write(md_text)
    if fmt == 'both':
        sys.stdout.write('\n```json\n')
    if fmt in ('json', 'both'):
        sys.stdout.write(json.dumps(combined, indent=1) + '\n')
    if fmt == 'both':
        sys.stdout.write('```\n')


if __name__ == '__main__':
    main()
