"""Counts every stack's resources exactly as CloudFormation will hold them: each template (the root,
infra/template.yaml, and every nested stack its AWS::Serverless::Application resources name) is
expanded by the SAM translator (aws-sam-translator, what `sam deploy` and CloudFormation's
transform run), then its resources are counted. Fails when a stack holds more than the bound
(300 of CloudFormation's 500: room for the routes to come).

usage: python scripts/stack-resources.py infra/template.yaml [bound]
"""
import os
import sys

import yaml
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    """CloudFormation's short forms (!Ref, !Sub, ...) as their long forms."""
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _tag)


class _NoManagedPolicies:
    """The templates name no AWS managed policy by name; nothing to look up."""

    def load(self):
        return {}


def count(path):
    with open(path) as f:
        template = yaml.load(f, Loader=_Loader)
    # What `sam deploy` (sam package) does first: local code, layer and nested template paths become
    # uploaded S3 objects. The translator only takes those.
    for r in template["Resources"].values():
        props = r.get("Properties", {})
        if r["Type"] == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = "s3://bucket/code.zip"
        if r["Type"] == "AWS::Serverless::LayerVersion" and isinstance(props.get("ContentUri"), str):
            props["ContentUri"] = "s3://bucket/layer.zip"
    nested = [
        os.path.join(os.path.dirname(path), r["Properties"]["Location"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Application"
    ]
    for r in template["Resources"].values():
        if r["Type"] == "AWS::Serverless::Application":
            r["Properties"]["Location"] = "https://s3.amazonaws.com/bucket/stack.yaml"
    params = {"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012",
              "AWS::StackName": "orgs", "AWS::StackId": "stack"}
    try:
        expanded = transform(template, params, _NoManagedPolicies())
    except InvalidDocumentException as e:
        sys.exit(f"{path}: SAM cannot transform it: " + "; ".join(str(c) for c in e.causes))
    return len(expanded["Resources"]), nested


def main():
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    root = sys.argv[1]
    bound = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    todo, rows, over = [root], [], []
    while todo:
        path = todo.pop(0)
        n, nested = count(path)
        rows.append((os.path.relpath(path), n))
        todo.extend(nested)
        if n > bound:
            over.append(path)
    width = max(len(p) for p, _ in rows)
    for p, n in sorted(rows, key=lambda r: -r[1]):
        print(f"  {p:<{width}}  {n:>4} resources")
    print(f"  {len(rows)} stacks, {sum(n for _, n in rows)} resources in all, the largest {max(n for _, n in rows)} (bound {bound})")
    if over:
        sys.exit(f"over {bound} resources: {', '.join(over)}")


if __name__ == "__main__":
    main()
