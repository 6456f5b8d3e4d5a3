#!/usr/bin/env python3
"""Translates a spark-submit argument list into the spark-submit plugin's
settings, so that the reference tests submit the same application with both
tools. Prints NAME=VALUE lines (values are JSON for the map/list settings).

usage: args_to_settings.py ARG...

Options with a value become spark_submit_options entries, --conf k=v
spark_submit_configs entries (last wins, as in spark-submit), the first
positional argument and everything after it spark_submit_app_args (the
original plugin's layout: the resource first). The waitAppCompletion
property also sets `wait`, since the plugin waits by default.
"""
import json
import sys

FLAGS = {"--verbose", "-v", "--supervise"}


def translate(args):
    options, configs, app_args = {}, {}, []
    i = 0
    while i < len(args):
        a = args[i]
        if app_args or not a.startswith("-"):
            app_args.append(a)
        elif a in FLAGS:
            pass
        elif a in ("--conf", "-c"):
            k, _, v = args[i + 1].partition("=")
            configs[k] = v
            i += 1
        else:
            options[a.lstrip("-")] = args[i + 1]
            i += 1
        i += 1
    out = {
        "PLUGIN_SPARK_SUBMIT_OPTIONS": json.dumps(options),
        "PLUGIN_SPARK_SUBMIT_CONFIGS": json.dumps(configs),
        "PLUGIN_SPARK_SUBMIT_APP_ARGS": json.dumps(app_args),
        "PLUGIN_WAIT": configs.get("spark.kubernetes.submission.waitAppCompletion", "true"),
    }
    return out


if __name__ == "__main__":
    for k, v in translate(sys.argv[1:]).items():
        print("%s=%s" % (k, v))
