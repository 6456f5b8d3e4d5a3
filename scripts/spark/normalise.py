#!/usr/bin/env python3
"""Canonical form of the objects `spark-submit --deploy-mode cluster` creates.

Usage: normalise.py [--mask VALUE=TOKEN]... [--exit-code N] [--log FILE] FILE...

Each FILE ("-" = stdin) is `kubectl get -o json` output: one object or a List.
Among them must be exactly one Pod labelled spark-role=driver; its ConfigMap
is the one named by its volume `spark-conf-volume-driver`, its Service the one
labelled spark-app-selector=<the pod's app id>. Any other object (a Secret,
another ConfigMap) goes to "others". Prints, with sorted keys:

  {"submit": ..., "pod": ..., "configMap": ..., "service": ..., "others": [...]}

"submit" is null unless --exit-code (spark-submit's exit status) or --log
(its stderr, see rule 5) are given. With no driver pod among the objects
(the submission failed early) pod/configMap/service are null.

Standard library only; the reference tests run it on the objects of both
tools (capture.sh), so one set of rules serves both. See docs/testenv-spark.md.

 1. Server bookkeeping is dropped: metadata.{uid, resourceVersion,
    creationTimestamp, managedFields, generation, selfLink}, status, and the
    pod's spec.nodeName (the scheduler picks one of several identical fake
    nodes). Everything else the API server filled in (defaults, admission:
    tolerations, priority, service-account volume) is kept: it is the same
    whoever creates the object, with POST or server-side apply alike.
 2. Values that differ on every run become placeholders, learned from where
    Spark puts them and then replaced in every string (keys too):
      <APP_ID>      spark-<32 hex>: label spark-app-selector (spark.app.id)
      <ID>          the resource-name prefix's KubernetesUtils.uniqueID()
                    (6 random hex + the low 40 bits of the time in ms, hex):
                    from "<prefix>-<ID>-driver-svc", or "<...>-<ID>-driver"
      <SVC_ID>      a second uniqueID, only when the service name fell back
                    to "spark-<SVC_ID>-driver-svc" (prefix longer than 63)
      <CM_ID>       uniqueID of the ConfigMap "spark-drv-<CM_ID>-conf-map"
      spark-<UUID>  java.util.UUID in "spark-<uuid>" (default local dir
                    /var/data/spark-<uuid>)
      <DRIVER_POD_UID>            ownerReferences[].uid of the driver pod
      kube-api-access-<RANDOM>    the service-account token volume's suffix
      --mask VALUE=TOKEN          caller-given (API server URL, local paths)
 3. ConfigMap data "spark.properties" (java.util.Properties.store output) is
    parsed into {"comments": [...], "properties": {sorted}}; the date comment
    becomes "<DATE>"; timestamp properties (spark.app.submitTime, and any
    key ending in "Time"/"time" whose value is 12+ digits) become "<TIME>".
 4. Lists whose order Spark does not define are sorted: container env by
    name (driverEnv/secretKeyRef entries come from hash maps), pod volumes by
    name, volumeMounts by (mountPath, name). Ports, args, containers,
    tolerations, imagePullSecrets and keyToPath items keep their order.
 5. The log (--log) keeps the lines of the loggers Client,
    LoggingPodStatusWatcherImpl, KubernetesClientApplication and SparkSubmit
    as "LEVEL Logger: message" (no timestamp), the first line of an uncaught
    exception and "Error: " lines; consecutive repeats collapse; rule 2's
    placeholders apply.
"""
import json
import re
import sys

APP_ID_RE = re.compile(r"spark-[0-9a-f]{32}")
UUID_RE = re.compile(r"spark-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SA_VOLUME_RE = re.compile(r"kube-api-access-[a-z0-9]{5}")
# uniqueID(): 6 hex + Long.toHexString(ms & 0xFFFFFFFFFF), i.e. 7..16 hex.
UID = r"([0-9a-f]{7,16})"
DROP_META = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink")
CONF_VOLUME = "spark-conf-volume-driver"


def parse_properties(text):
    """java.util.Properties.load(Reader) grammar, enough for store() output."""
    comments, props = [], {}
    lines = re.split(r"\r\n|\r|\n", text)
    i = 0
    while i < len(lines):
        line = lines[i].lstrip(" \t\f")
        i += 1
        if not line:
            continue
        if line[0] in "#!":
            comments.append(line[1:])
            continue
        # An odd number of trailing backslashes joins the next line, whose
        # leading whitespace is dropped.
        while (len(line) - len(line.rstrip("\\"))) % 2 == 1:
            line = line[:-1]
            if i == len(lines):
                break
            line += lines[i].lstrip(" \t\f")
            i += 1
        # Key: up to the first unescaped '=', ':' or whitespace. Then
        # whitespace, at most one '=' or ':', whitespace; the rest is the value.
        j = 0
        while j < len(line) and line[j] not in "=: \t\f":
            j += 2 if line[j] == "\\" else 1
        key = line[:j]
        while j < len(line) and line[j] in " \t\f":
            j += 1
        if j < len(line) and line[j] in "=:":
            j += 1
        while j < len(line) and line[j] in " \t\f":
            j += 1
        props[unescape(key)] = unescape(line[j:])
    return comments, props


def unescape(s):
    out, j = [], 0
    while j < len(s):
        c = s[j]
        if c == "\\" and j + 1 < len(s):
            n = s[j + 1]
            if n == "u" and j + 6 <= len(s):
                out.append(chr(int(s[j + 2:j + 6], 16)))
                j += 6
                continue
            out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(n, n))
            j += 2
            continue
        out.append(c)
        j += 1
    return "".join(out)


def load_objects(paths):
    objs = []
    for p in paths:
        doc = json.load(sys.stdin if p == "-" else open(p, encoding="utf-8"))
        objs.extend(doc.get("items", []) if doc.get("kind", "").endswith("List") else [doc])
    return objs


def replace_strings(x, subs):
    if isinstance(x, str):
        for pattern, token in subs:
            x = pattern.sub(token, x) if hasattr(pattern, "sub") else x.replace(pattern, token)
        return x
    if isinstance(x, list):
        return [replace_strings(v, subs) for v in x]
    if isinstance(x, dict):
        return {replace_strings(k, subs): replace_strings(v, subs) for k, v in x.items()}
    return x


def strip(obj):
    meta = obj.get("metadata", {})
    for k in DROP_META:
        meta.pop(k, None)
    obj.pop("status", None)
    return obj


def sort_pod_lists(pod):
    spec = pod.get("spec", {})
    if "volumes" in spec:
        spec["volumes"].sort(key=lambda v: v.get("name", ""))
    for kind in ("initContainers", "containers"):
        for c in spec.get(kind, []):
            if "env" in c:
                c["env"].sort(key=lambda e: e.get("name", ""))
            if "volumeMounts" in c:
                c["volumeMounts"].sort(key=lambda m: (m.get("mountPath", ""), m.get("name", "")))


LOG_LINE_RE = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (INFO|WARN|ERROR) (\w+): (.*)$")
LOG_LOGGERS = ("Client", "LoggingPodStatusWatcherImpl", "KubernetesClientApplication", "SparkSubmit")


def submit_log(text):
    """Rule 5: the lines of spark-submit's output a golden keeps, in order.

    Log lines of the submission client's loggers without their timestamp,
    the first line of an uncaught exception, and SparkSubmit's "Error:"
    lines. Consecutive repeats collapse into one (the watcher repeats
    "Application status for ... (phase: Running)" every second)."""
    out = []
    for line in text.splitlines():
        m = LOG_LINE_RE.match(line)
        if m and m.group(2) in LOG_LOGGERS:
            line = "%s %s: %s" % m.groups()
        elif not (line.startswith("Exception in thread") or line.startswith("Error: ")):
            continue
        if not out or out[-1] != line:
            out.append(line)
    return out


def normalise(objs, masks, submit=None):
    pods = [o for o in objs if o.get("kind") == "Pod"
            and o.get("metadata", {}).get("labels", {}).get("spark-role") == "driver"]
    if len(pods) > 1:
        sys.exit("normalise.py: expected at most one driver pod (label spark-role=driver), got %d" % len(pods))
    if not pods:
        # The submission failed before it created anything.
        subs = sorted(masks, key=lambda s: -len(s[0])) + [(APP_ID_RE, "<APP_ID>"), (UUID_RE, "spark-<UUID>")]
        return replace_strings({"submit": submit, "pod": None, "configMap": None, "service": None,
                                "others": [strip(o) for o in objs]}, subs)
    pod = pods[0]
    rest = [o for o in objs if o is not pod]
    app_id = pod["metadata"]["labels"].get("spark-app-selector", "")
    cm_name = next((v["configMap"]["name"] for v in pod["spec"].get("volumes", [])
                    if v.get("name") == CONF_VOLUME and "configMap" in v), None)
    cm = next((o for o in rest if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == cm_name), None)
    svc = next((o for o in rest if o.get("kind") == "Service"
                and o["metadata"].get("labels", {}).get("spark-app-selector") == app_id), None)
    others = [o for o in rest if o is not cm and o is not svc]

    # Learn the random parts (rule 2). Longest first, so that no placeholder
    # is replaced inside a longer one.
    subs = [(v, t) for v, t in masks]
    pod_uid = pod["metadata"].get("uid")
    if pod_uid:
        subs.append((pod_uid, "<DRIVER_POD_UID>"))
    if app_id:
        subs.append((app_id, "<APP_ID>"))
    ids = {}
    m = re.search(r"-" + UID + r"-driver$", pod["metadata"]["name"])
    if m:
        ids[m.group(1)] = "<ID>"
    if svc:
        m = re.fullmatch(r"spark-" + UID + r"-driver-svc", svc["metadata"]["name"])
        if m and m.group(1) not in ids:
            ids[m.group(1)] = "<SVC_ID>"
        else:
            m = re.fullmatch(r".*-" + UID + r"-driver-svc", svc["metadata"]["name"])
            if m and m.group(1) not in ids:
                ids[m.group(1)] = "<ID>"
    m = re.fullmatch(r"spark-drv-" + UID + r"-conf-map", cm_name or "")
    if m:
        ids[m.group(1)] = "<CM_ID>"
    subs.extend(ids.items())
    subs.sort(key=lambda s: -len(s[0]))
    subs += [(APP_ID_RE, "<APP_ID>"), (UUID_RE, "spark-<UUID>"), (SA_VOLUME_RE, "kube-api-access-<RANDOM>")]

    for o in [pod, cm, svc] + others:
        if o is not None:
            strip(o)
    pod.get("spec", {}).pop("nodeName", None)
    sort_pod_lists(pod)

    if cm is not None and "spark.properties" in cm.get("data", {}):
        comments, props = parse_properties(cm["data"]["spark.properties"])
        comments = ["<DATE>" if re.fullmatch(r"\w{3} \w{3} [ \d]\d [\d:]{8} \w+ \d{4}", c) else c
                    for c in comments]
        for k, v in props.items():
            if k == "spark.app.submitTime" or (k.lower().endswith("time") and re.fullmatch(r"\d{12,}", v)):
                props[k] = "<TIME>"
        cm["data"]["spark.properties"] = {"comments": comments, "properties": dict(sorted(props.items()))}

    others.sort(key=lambda o: (o.get("kind", ""), o.get("metadata", {}).get("name", "")))
    return replace_strings({"submit": submit, "pod": pod, "configMap": cm, "service": svc, "others": others}, subs)


def main(argv):
    masks, files, submit = [], [], None
    it = iter(argv)
    for a in it:
        if a == "--exit-code":
            submit = dict(submit or {}, exitCode=int(next(it, "")))
        elif a == "--log":
            with open(next(it, ""), encoding="utf-8", errors="replace") as f:
                submit = dict(submit or {}, log=submit_log(f.read()))
        elif a == "--mask":
            value, _, token = next(it, "").partition("=")
            if not value or not token:
                sys.exit("normalise.py: --mask needs VALUE=TOKEN")
            masks.append((value, token))
        elif a.startswith("--mask="):
            value, _, token = a[len("--mask="):].partition("=")
            masks.append((value, token))
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            files.append(a)
    if not files and submit is None:
        sys.exit("usage: normalise.py [--mask VALUE=TOKEN]... [--exit-code N] [--log FILE] FILE... ('-' = stdin)")
    json.dump(normalise(load_objects(files), masks, submit), sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
