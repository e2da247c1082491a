#!/usr/bin/env python3
"""Kubernetes JSON schemas for kubeconform, offline, from the kubernetes-validate wheel on PyPI.

usage: k8s-schemas.py WHEEL OUT_DIR VERSION...   (VERSION like 1.33.0)

The wheel ships, per Kubernetes version, one schema per kind plus _definitions.json, referenced as
"/api/_definitions.json#/$defs/..." against an "$id" that only its own validator resolves. Here the
strict variants are written as OUT_DIR/v<VERSION>-standalone-strict/<kind>-<group>-<version>.json
(kubeconform's layout) with the references made relative to the file, so kubeconform needs no network.
"""
import json
import os
import sys
import zipfile

wheel, out, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
prefix = 'kubernetes_validate/kubernetes-json-schema/'


def fix(node):
    if isinstance(node, dict):
        node.pop('$id', None)
        ref = node.get('$ref')
        if isinstance(ref, str) and ref.startswith('/api/_definitions.json'):
            node['$ref'] = ref[len('/api/'):]
        for value in node.values():
            fix(value)
    elif isinstance(node, list):
        for value in node:
            fix(value)


with zipfile.ZipFile(wheel) as z:
    for version in versions:
        source = f'{prefix}v{version}-local-strict/'
        target = os.path.join(out, f'v{version}-standalone-strict')
        os.makedirs(target, exist_ok=True)
        names = [n for n in z.namelist() if n.startswith(source) and n.endswith('.json')]
        if not names:
            sys.exit(f'k8s-schemas: the wheel has no schemas for Kubernetes {version}')
        for name in names:
            doc = json.loads(z.read(name))
            fix(doc)
            with open(os.path.join(target, name[len(source):]), 'w') as f:
                json.dump(doc, f)
        print(f'k8s-schemas: {len(names)} schemas for Kubernetes {version}')
