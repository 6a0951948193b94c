"""cdk-nag's AwsSolutions pack on examples/cdk-python's stack (run from that directory): prints the
pack's violations (validate_scope), whether the app synthesizes with the pack as a validation plugin,
and the rules the constructs acknowledged (CDK's Validations metadata), as JSON."""

import json
import sys

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

sys.path.insert(0, ".")
from batches_stack import BatchesStack  # noqa: E402


def make() -> App:
    app = App()
    BatchesStack(app, "SendGridBatches")
    return app


app = make()
report = AwsSolutionsChecks(verbose=True).validate_scope(app)
violations = [{"rule": v.rule_name, "severity": str(v.severity)} for v in report.violations]
acknowledged = [
    rule.replace("Annotation::", "").replace("annotation::", "")
    for construct in app.node.find_all()
    for entry in construct.node.metadata
    if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    for rule in entry.data
]

plugged = make()
Validations.of(plugged).add_plugins(AwsSolutionsChecks(plugged))
plugged.synth()

print(json.dumps({"violations": violations, "acknowledged": acknowledged, "synthesized": True}))
