#!/usr/bin/env python3
"""Validates every Kubernetes manifest under deploy/ offline, as `make test` runs it:

  .venv-manifests/bin/python scripts/check_manifests.py [--kubectl PATH]

- Every YAML file under deploy/ that is not a kustomization, a file a configMapGenerator reads
  or a patch is a Kubernetes object (or several) and must validate on its own.
- Every folder with a kustomization.yaml is built with `kubectl kustomize`, and every object
  of the output must validate too.
- Built-in kinds validate with kubernetes-validate (strict: an unknown field is an error, as
  kubectl's default server-side field validation makes it) against the Kubernetes version
  pinned below. ServingRuntime, InferenceService and PodMonitor validate against the JSON
  schemas in deploy/schemas/ (their sources: deploy/schemas/README.md), with the same
  strictness. A kind with no schema is an error, never a warning.
- deploy/grafana/*.json: every panel has PromQL in targets[].expr, uses only the $model,
  $version and $route template variables (which the dashboard defines), and each expression
  parses (`promtool check rules`, with the variables replaced by `.*`).
- With --sluice BINARY, every sluice.yaml and routes.yaml the ConfigMaps are made from passes
  `sluice validate` against the bundled models/.
Exits 1 with one line per finding, 0 with a summary.
"""
import argparse
import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import kubernetes_validate.utils as kv
import referencing
import yaml

# The Kubernetes version the built-in kinds are checked against (kubectl on this machine kind
# is 1.32; autoscaling/v2 and policy/v1 need 1.23 and 1.21).
KUBERNETES_VERSION = "1.32.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOY = os.path.join(ROOT, "deploy")
DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
# Custom resources: (apiVersion, kind) -> schema file in deploy/schemas/.
CUSTOM = {
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "servingruntime-serving.kserve.io-v1alpha1.json",
    ("serving.kserve.io/v1beta1", "InferenceService"): "inferenceservice-serving.kserve.io-v1beta1.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "podmonitor-monitoring.coreos.com-v1.json",
}
DASHBOARD_VARIABLES = {"model", "version", "route"}

findings = []


def fail(message):
    findings.append(message)


def kubernetes_definitions():
    """The pinned version's strict definitions that kubernetes-validate ships."""
    version = [v for v in kv.all_versions() if kv.major_minor(v) <= kv.major_minor(KUBERNETES_VERSION)][-1]
    return kv.schema_contents(f"kubernetes-json-schema/v{version}-local-strict/_definitions.json", KUBERNETES_VERSION)


def strict(node, definitions):
    """Turns a CRD-style openAPIV3Schema into the JSON Schema the API server applies with strict
    field validation: objects with properties refuse other fields (unless they preserve unknown
    fields), `x-sluice-inline` copies in the properties of an embedded Kubernetes type (Go's
    json inline), `metadata` is ObjectMeta, and nullable/int-or-string follow the CRD rules."""
    if isinstance(node, list):
        return [strict(n, definitions) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: strict(v, definitions) if k not in ("enum", "default", "required") else v
            for k, v in node.items()}
    for name in node.pop("x-sluice-inline", []):
        embedded = definitions["$defs"][name]
        properties = dict(embedded.get("properties", {}))
        # The embedded type's own $refs are relative to the definitions document.
        properties = json.loads(json.dumps(properties).replace('"#/$defs/', f'"{DEFINITIONS_ID}#/$defs/'))
        properties.update(node.get("properties", {}))
        node["properties"] = properties
        node.setdefault("type", "object")
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return node
    if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    return node


def custom_validators():
    definitions = kubernetes_definitions()
    registry = referencing.Registry().with_resource(
        DEFINITIONS_ID, referencing.Resource.from_contents(definitions, default_specification=referencing.jsonschema.DRAFT202012))
    validators = {}
    for key, file in CUSTOM.items():
        with open(os.path.join(DEPLOY, "schemas", file)) as f:
            schema = json.load(f)
        source = schema.pop("x-source", None)
        if not source or not source.get("repository") or not source.get("commit"):
            fail(f"deploy/schemas/{file}: x-source must name the repository, path and commit it came from")
        schema = strict(schema, definitions)
        schema["properties"]["metadata"] = {"$ref": f"{DEFINITIONS_ID}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
        schema["properties"]["apiVersion"] = {"const": key[0]}
        schema["properties"]["kind"] = {"const": key[1]}
        schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata"})
        jsonschema.Draft202012Validator.check_schema(schema)
        validators[key] = jsonschema.Draft202012Validator(schema, registry=registry)
    return validators


def validate(doc, where, validators):
    if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
        fail(f"{where}: not a Kubernetes object (no apiVersion and kind)")
        return
    name = f"{doc['kind']}/{doc.get('metadata', {}).get('name', '?')}"
    validator = validators.get((doc["apiVersion"], doc["kind"]))
    if validator is not None:
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            path = ".".join(str(p) for p in error.path)
            fail(f"{where}: {name}: {path}: {error.message}")
        return
    try:
        kv.validate(doc, KUBERNETES_VERSION, strict=True)
    except kv.ValidationError as error:
        path = ".".join(str(p) for p in error.path)
        fail(f"{where}: {name}: {path}: {error.message}")
    except kv.SchemaNotFoundError as error:
        fail(f"{where}: {name}: {error.message}")


def load_all(text, where):
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        fail(f"{where}: {error}")
        return []


def kustomizations():
    return sorted(os.path.dirname(p) for p in glob.glob(os.path.join(DEPLOY, "**", "kustomization.yaml"), recursive=True))


def not_objects():
    """Files a kustomization reads as data (generator files) or as patches."""
    skipped = set()
    for folder in kustomizations():
        with open(os.path.join(folder, "kustomization.yaml")) as f:
            k = yaml.safe_load(f) or {}
        for generator in k.get("configMapGenerator", []) + k.get("secretGenerator", []):
            for entry in generator.get("files", []):
                skipped.add(os.path.normpath(os.path.join(folder, entry.split("=", 1)[-1])))
        for patch in k.get("patches", []) + k.get("patchesStrategicMerge", []):
            if isinstance(patch, dict) and "path" in patch:
                skipped.add(os.path.normpath(os.path.join(folder, patch["path"])))
            elif isinstance(patch, str):
                skipped.add(os.path.normpath(os.path.join(folder, patch)))
    return skipped


def check_files(validators, samples):
    skipped = not_objects()
    count = 0
    for path in sorted(glob.glob(os.path.join(DEPLOY, "**", "*.y*ml"), recursive=True)):
        rel = os.path.relpath(path, ROOT)
        if os.path.basename(path) == "kustomization.yaml" or os.path.normpath(path) in skipped:
            continue
        with open(path) as f:
            for doc in load_all(f.read(), rel):
                validate(doc, rel, validators)
                if isinstance(doc, dict):
                    samples.setdefault(doc.get("kind"), doc)
                count += 1
    return count


# Known-bad objects, made from the good ones: each must be refused, so a schema that accepts
# anything (a wrong $ref, a lost additionalProperties) fails the check instead of passing it.
BROKEN = [
    ("Deployment", "a misspelt container field", lambda d: d["spec"]["template"]["spec"]["containers"][0].update(readinesProbe={})),
    ("Service", "a port that is not a number", lambda d: d["spec"]["ports"][0].update(port="eighty")),
    ("HorizontalPodAutoscaler", "a misspelt metric field", lambda d: d["spec"]["metrics"][0]["resource"].update(targt={})),
    ("ServingRuntime", "a misspelt spec field", lambda d: d["spec"].update(supportedModelFormat=[])),
    ("ServingRuntime", "a misspelt container field", lambda d: d["spec"]["containers"][0].update(imagePullPolcy="Always")),
    ("ServingRuntime", "a port that is not a number", lambda d: d["spec"]["containers"][0]["ports"][0].update(containerPort="http")),
    ("InferenceService", "a misspelt predictor field", lambda d: d["spec"]["predictor"].update(modle={})),
    ("InferenceService", "a model without modelFormat", lambda d: d["spec"]["predictor"]["model"].pop("modelFormat")),
    ("InferenceService", "a storageUri that is not a string", lambda d: d["spec"]["predictor"]["model"].update(storageUri=5)),
    ("InferenceService", "a misspelt resources field (inlined Container)", lambda d: d["spec"]["predictor"]["model"]["resources"].update(limitz={})),
    ("PodMonitor", "an interval Prometheus cannot read", lambda d: d["spec"]["podMetricsEndpoints"][0].update(interval="15 seconds")),
    ("PodMonitor", "no selector", lambda d: d["spec"].pop("selector")),
    ("ConfigMap", "a kind no schema knows", lambda d: d.update(kind="ConfigMapp")),
]


def self_test(validators, samples):
    for kind, what, breaks in BROKEN:
        if kind not in samples:
            fail(f"self-test: no {kind} in deploy/ to break")
            continue
        doc = copy.deepcopy(samples[kind])
        breaks(doc)
        before = len(findings)
        validate(doc, "self-test", validators)
        refused = len(findings) > before
        del findings[before:]
        if not refused:
            fail(f"self-test: a {kind} with {what} was accepted")
    return len(BROKEN)


def check_builds(kubectl, validators):
    built = 0
    for folder in kustomizations():
        rel = os.path.relpath(folder, ROOT)
        run = subprocess.run([kubectl, "kustomize", folder], capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"kubectl kustomize {rel}: {run.stderr.strip()}")
            continue
        docs = load_all(run.stdout, f"kubectl kustomize {rel}")
        if not docs:
            fail(f"kubectl kustomize {rel}: built nothing")
        for doc in docs:
            validate(doc, f"kubectl kustomize {rel}", validators)
            built += 1
    return built


def check_configs(sluice):
    """`sluice validate` on every sluice.yaml and routes.yaml a configMapGenerator reads, against
    the bundled models/ (the image's repository): what the pods would refuse at start."""
    base_config = os.path.join(DEPLOY, "base", "sluice.yaml")
    base_routes = os.path.join(DEPLOY, "base", "routes.yaml")
    checked = 0
    for path in sorted(not_objects()):
        name = os.path.basename(path)
        if name == "routes.yaml":
            command = [sluice, "validate", "--config", base_config, "--models", os.path.join(ROOT, "models"), "--routes", path]
        elif name == "sluice.yaml":
            command = [sluice, "validate", "--config", path, "--models", os.path.join(ROOT, "models"), "--routes", base_routes]
        else:
            continue
        run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if run.returncode != 0:
            lines = [l for l in (run.stdout + run.stderr).splitlines() if l.startswith("error")]
            fail(f"{os.path.relpath(path, ROOT)}: sluice validate: {'; '.join(lines) or run.returncode}")
        checked += 1
    return checked


def check_dashboards(promtool):
    dashboards = sorted(glob.glob(os.path.join(DEPLOY, "grafana", "*.json")))
    if not dashboards:
        fail("deploy/grafana: no dashboard")
    rules = []
    for path in dashboards:
        rel = os.path.relpath(path, ROOT)
        try:
            with open(path) as f:
                dashboard = json.load(f)
        except (OSError, ValueError) as error:
            fail(f"{rel}: {error}")
            continue
        defined = {v.get("name") for v in dashboard.get("templating", {}).get("list", [])}
        if not DASHBOARD_VARIABLES <= defined:
            fail(f"{rel}: templating must define {sorted(DASHBOARD_VARIABLES)}, it defines {sorted(n for n in defined if n)}")
        panels = [p for p in dashboard.get("panels", []) if p.get("type") != "row"]
        if not panels:
            fail(f"{rel}: no panels")
        for panel in panels:
            title = panel.get("title", "?")
            targets = panel.get("targets", [])
            exprs = [t.get("expr", "") for t in targets]
            if not targets or not all(e.strip() for e in exprs):
                fail(f"{rel}: panel '{title}': every target needs PromQL in expr")
            for expr in exprs:
                used = set(re.findall(r"\$\{?(\w+)", expr))
                if used - DASHBOARD_VARIABLES:
                    fail(f"{rel}: panel '{title}': uses {sorted(used - DASHBOARD_VARIABLES)}; only $model, $version and $route may appear in expr")
                concrete = re.sub(r"\$\{?(model|version|route)\}?", ".*", expr)
                rules.append({"record": f"dashboard:panel_{len(rules)}", "expr": concrete})
    if rules:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
        run = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
        os.unlink(f.name)
        if run.returncode != 0:
            fail(f"deploy/grafana: promtool check rules on the panels' PromQL: {(run.stdout + run.stderr).strip()}")
    return len(rules)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # ensure-deps puts kubectl in this venv's bin/ only where the machine has none recent enough.
    own = os.path.join(sys.prefix, "bin", "kubectl")
    parser.add_argument("--kubectl", default=own if os.access(own, os.X_OK) else shutil.which("kubectl"),
                        help="kubectl with kustomize v4 or later")
    parser.add_argument("--promtool", default=shutil.which("promtool"))
    parser.add_argument("--sluice", help="a sluice binary: also run `sluice validate` on every sluice.yaml and routes.yaml the ConfigMaps are made from")
    args = parser.parse_args()
    tools = [(args.kubectl, "kubectl"), (args.promtool, "promtool")] + ([(args.sluice, "sluice")] if args.sluice else [])
    for tool, name in tools:
        if not tool or not os.access(tool, os.X_OK):
            hint = "swift build makes it" if name == "sluice" else "scripts/ensure-deps.sh test installs it"
            print(f"check_manifests: {name} not found ({tool or 'not on PATH'}; {hint})", file=sys.stderr)
            return 2
    version = subprocess.run([args.kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True)
    kustomize = json.loads(version.stdout or "{}").get("kustomizeVersion", "") if version.returncode == 0 else ""
    if not re.match(r"v([4-9]|\d\d)\.", kustomize):
        print(f"check_manifests: {args.kubectl} has kustomize {kustomize or 'none'}; v4 or later is needed", file=sys.stderr)
        return 2
    validators = custom_validators()
    samples = {}
    files = check_files(validators, samples)
    refused = self_test(validators, samples)
    built = check_builds(args.kubectl, validators)
    panels = check_dashboards(args.promtool)
    configs = check_configs(args.sluice) if args.sluice else 0
    for message in findings:
        print(message)
    if findings:
        print(f"check_manifests: {len(findings)} problem(s)")
        return 1
    print(f"check_manifests: {files} objects in deploy/ files and {built} in {len(kustomizations())} kustomize builds "
          f"valid (Kubernetes {KUBERNETES_VERSION}, kustomize {kustomize}); {refused} broken copies refused; "
          f"{panels} dashboard queries parse" + (f"; {configs} config files pass sluice validate" if args.sluice else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
