"""Self-check of fixes.py: each fix is needed (its scenario fails without it) and enough (passes with all).

    python3 src/emulator/moto/check_fixes.py

For every fix in ``fixes.FIXES`` it runs that fix's scenario in a fresh Python process with every
fix but that one (the fixes are monkeypatches, so a process holds exactly the set it applied), and
every scenario once more in one process with all of them. Scenarios run in-process against moto's executing Step
Functions backend (``mock_aws`` with ``execute_state_machine``), with Pass, Parallel, Map, Fail and
Choice states and nested ``states:startExecution.sync:2`` only; the Scheduler's against moto's
Scheduler and CloudFormation. It prints one JSON object:

    {"fixes": [{"name": ..., "without": "<the failure observed>", "with": "ok"}, ...]}

and exits 0 only when every fix is proven: its scenario fails without it and passes with all.

    python3 src/emulator/moto/check_fixes.py --scenario NAME [--without FIX]

runs one scenario in this process and prints ``{"result": "ok" | "<failure>"}``; ``--scenario all``
runs every scenario with every fix and prints ``{"results": {NAME: "ok" | "<failure>", ...}}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fixes  # noqa: E402
import startup  # noqa: E402

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/motofix-check"
POLL_SECONDS = 20.0
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_MILLIS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class ScenarioFailed(Exception):
    """The scenario saw behaviour that differs from AWS's."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


# ---------------------------------------------------------------------------------------------
# Helpers for the scenarios (they run inside mock_aws).
# ---------------------------------------------------------------------------------------------


def sfn() -> Any:
    import boto3

    return boto3.client("stepfunctions", region_name=REGION)


def machine(client: Any, name: str, definition: dict[str, Any]) -> str:
    return client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]


def start(client: Any, arn: str, payload: Any = None, name: str | None = None) -> str:
    kwargs: dict[str, Any] = {"stateMachineArn": arn, "input": json.dumps(payload if payload is not None else {})}
    if name is not None:
        kwargs["name"] = name
    return client.start_execution(**kwargs)["executionArn"]


def finished(client: Any, execution_arn: str) -> dict[str, Any]:
    """DescribeExecution, polled until the execution is no longer RUNNING (at most POLL_SECONDS)."""
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        description = client.describe_execution(executionArn=execution_arn)
        if description["status"] != "RUNNING":
            return description
        if time.monotonic() > deadline:
            raise ScenarioFailed(f"{execution_arn} still RUNNING after {POLL_SECONDS:.0f} s")
        time.sleep(0.1)


def outcome(description: dict[str, Any]) -> str:
    if description["status"] == "SUCCEEDED":
        return f"SUCCEEDED with output {description.get('output')}"
    return f"{description['status']} with error {description.get('error')!r}, cause {description.get('cause')!r}"


def pass_state(result: Any = None, **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Pass", "End": True, **fields}
    if result is not None:
        state["Result"] = result
    return state


def fail_state(error: str, cause: str) -> dict[str, Any]:
    return {"Type": "Fail", "Error": error, "Cause": cause}


def single(name: str, state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: state}}


# ---------------------------------------------------------------------------------------------
# Scenarios: one per fix, named as the fix.
# ---------------------------------------------------------------------------------------------


def scenario_deepcopy_without_executions() -> None:
    """Two executions of one machine, the second started while the first has one."""
    client = sfn()
    definition = single(
        "Both",
        {
            "Type": "Parallel",
            "End": True,
            "Branches": [single("A", pass_state({"a": 1})), single("B", pass_state({"b": 2}))],
        },
    )
    arn = machine(client, "twice", definition)
    first = start(client, arn, name="first")
    try:
        second = start(client, arn, name="second")
    except Exception as error:  # noqa: BLE001 - the failure is what the check reports
        raise ScenarioFailed(f"second StartExecution on the machine failed: {type(error).__name__}: {error}")
    for execution_arn in (first, second):
        description = finished(client, execution_arn)
        expect(description["status"] == "SUCCEEDED", f"{execution_arn}: {outcome(description)}")


def scenario_definite_jsonpath() -> None:
    """A Parallel's ResultSelector with `$[0].config` (index, then field); a filter still gives a list."""
    client = sfn()
    definition = single(
        "Fetch",
        {
            "Type": "Parallel",
            "End": True,
            "Branches": [
                single("Config", pass_state({"config": {"region": "eu-west-1"}})),
                single("Items", pass_state({"items": [{"n": 1, "v": "a"}, {"n": 2, "v": "b"}]})),
            ],
            "ResultSelector": {
                "config.$": "$[0].config",
                "second.$": "$[1].items[1].v",
                "filtered.$": "$[1].items[?(@.n == 1)].v",
            },
        },
    )
    description = finished(client, start(client, machine(client, "selector", definition)))
    expect(description["status"] == "SUCCEEDED", outcome(description))
    output = json.loads(description["output"])
    expected = {"config": {"region": "eu-west-1"}, "second": "b", "filtered": ["a"]}
    expect(
        output == expected,
        f"ResultSelector $[0].config, $[1].items[1].v, $[1].items[?(@.n == 1)].v gave {json.dumps(output)};"
        f" AWS gives {json.dumps(expected)}",
    )


def scenario_states_error_names() -> None:
    """`States.*` errors out of a Parallel branch, a Map iteration, a Fail state; and caught by name."""
    client = sfn()
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        (
            "a Parallel branch failing with States.TaskFailed",
            single(
                "Fork",
                {"Type": "Parallel", "End": True, "Branches": [single("F", fail_state("States.TaskFailed", "boom-p"))]},
            ),
            "States.TaskFailed",
            "boom-p",
        ),
        (
            "a Map iteration failing with States.TaskFailed",
            single(
                "Each",
                {
                    "Type": "Map",
                    "End": True,
                    "ItemsPath": "$.items",
                    "ItemProcessor": single("F", fail_state("States.TaskFailed", "boom-m")),
                },
            ),
            "States.TaskFailed",
            "boom-m",
        ),
        ("a Fail state with Error States.Timeout", single("F", fail_state("States.Timeout", "boom-f")), "States.Timeout", "boom-f"),
    ]
    started = []
    for index, (label, definition, error, cause) in enumerate(cases):
        arn = machine(client, f"errors{index}", definition)
        started.append((label, start(client, arn, {"items": [1, 2]}), error, cause))
    caught_definition = {
        "StartAt": "Fork",
        "States": {
            "Fork": {
                "Type": "Parallel",
                "Branches": [single("F", fail_state("States.Timeout", "late"))],
                "Catch": [
                    {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.wrong", "Next": "Wrong"},
                    {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.caught", "Next": "Caught"},
                ],
                "Next": "Wrong",
            },
            "Wrong": fail_state("WrongPath", "the Catch did not match States.Timeout by name"),
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    caught = start(client, machine(client, "caught", caught_definition))

    for label, execution_arn, error, cause in started:
        description = finished(client, execution_arn)
        expect(
            description["status"] == "FAILED" and description.get("error") == error and description.get("cause") == cause,
            f"{label}: execution {outcome(description)}; AWS fails with error {error!r}, cause {cause!r}",
        )
    description = finished(client, caught)
    expected_caught = {"Error": "States.Timeout", "Cause": "late"}
    expect(
        description["status"] == "SUCCEEDED" and json.loads(description["output"]).get("caught") == expected_caught,
        f"Catch [States.Timeout] around a branch failing with States.Timeout: {outcome(description)}",
    )


def scenario_context_start_time_string() -> None:
    """A Pass copying `$$.Execution.StartTime` into its output; DescribeExecution, GetExecutionHistory."""
    client = sfn()
    definition = single("Stamp", pass_state(Parameters={"startedAt.$": "$$.Execution.StartTime"}))
    execution_arn = start(client, machine(client, "stamp", definition))
    try:
        description = finished(client, execution_arn)
        client.get_execution_history(executionArn=execution_arn)
    except ScenarioFailed:
        raise
    except Exception as error:  # noqa: BLE001
        raise ScenarioFailed(f"DescribeExecution/GetExecutionHistory failed: {type(error).__name__}: {error}")
    expect(description["status"] == "SUCCEEDED", outcome(description))
    started_at = json.loads(description["output"]).get("startedAt")
    expect(
        isinstance(started_at, str) and bool(ISO_MILLIS_Z.match(started_at)),
        f"$$.Execution.StartTime is {started_at!r}; AWS gives e.g. '2026-11-28T10:24:18.676Z'",
    )
    start_date: datetime = description["startDate"].astimezone(timezone.utc)
    expected = start_date.strftime("%Y-%m-%dT%H:%M:%S.") + f"{start_date.microsecond // 1000:03d}Z"
    expect(started_at == expected, f"$$.Execution.StartTime {started_at} is not the execution's startDate {expected}")


def scenario_sfn_start_execution_integration() -> None:
    """A parent running a child with startExecution.sync:2: a child that succeeds, one that fails."""
    client = sfn()
    ok_child = machine(client, "child-ok", single("Echo", pass_state(Parameters={"got.$": "$.x"})))
    bad_child = machine(client, "child-bad", single("Break", fail_state("ChildBroke", "nope")))

    def parent(name: str, child: str) -> str:
        task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child, "Input": {"x.$": "$.v"}},
            "End": True,
        }
        return start(client, machine(client, name, single("Run", task)), {"v": 42})

    ok, bad = parent("parent-ok", ok_child), parent("parent-bad", bad_child)

    description = finished(client, ok)
    expect(description["status"] == "SUCCEEDED", f"parent of a succeeding child: {outcome(description)}")
    result = json.loads(description["output"])
    missing = sorted({"ExecutionArn", "StateMachineArn", "Status", "StartDate", "StopDate", "Input", "Output"} - set(result))
    expect(not missing, f"the .sync:2 result {json.dumps(result)} lacks {missing}")
    expect(result["Output"] == {"got": 42}, f"the .sync:2 Output is {result['Output']!r}; AWS gives the JSON object")
    expect(result["Input"] == {"x": 42}, f"the .sync:2 Input is {result['Input']!r}; AWS gives the JSON object")
    expect(result["Status"] == "SUCCEEDED", f"the .sync:2 Status is {result['Status']!r}")
    expect(result["StateMachineArn"] == ok_child, f"the .sync:2 StateMachineArn is {result['StateMachineArn']!r}")
    expect(
        result["ExecutionArn"].startswith(ok_child.replace(":stateMachine:", ":execution:") + ":"),
        f"the .sync:2 ExecutionArn {result['ExecutionArn']!r} is not an execution of the child",
    )
    expect(
        all(isinstance(result[key], (int, float)) for key in ("StartDate", "StopDate")),
        f"the .sync:2 StartDate/StopDate are {result['StartDate']!r}/{result['StopDate']!r}; AWS gives epoch ms",
    )

    description = finished(client, bad)
    expect(
        description["status"] == "FAILED" and description.get("error") == "States.TaskFailed",
        f"parent of a failing child: {outcome(description)}; AWS fails with States.TaskFailed",
    )
    try:
        cause = json.loads(description.get("cause") or "")
    except ValueError:
        raise ScenarioFailed(f"the failed .sync:2 task's cause is not JSON: {description.get('cause')!r}")
    expect(
        isinstance(cause, dict)
        and cause.get("Error") == "ChildBroke"
        and cause.get("Cause") == "nope"
        and cause.get("Status") == "FAILED"
        and str(cause.get("ExecutionArn", "")).startswith(bad_child.replace(":stateMachine:", ":execution:")),
        f"the failed .sync:2 task's cause is {json.dumps(cause)}; AWS gives the child's description"
        " (Error, Cause, ExecutionArn, Status...)",
    )


def scenario_generated_execution_name() -> None:
    """Two StartExecution calls without a name."""
    client = sfn()
    arn = machine(client, "nameless", single("Done", pass_state({"done": True})))
    arns = [start(client, arn), start(client, arn)]
    names = [execution_arn.rsplit(":", 1)[1] for execution_arn in arns]
    expect(
        all(UUID.match(name) for name in names) and names[0] != names[1],
        f"executions started without a name are {arns}; AWS names each with a new UUID",
    )
    for execution_arn, name in zip(arns, names):
        description = finished(client, execution_arn)
        expect(description["name"] == name, f"{execution_arn} is named {description['name']!r}")
        expect(description["status"] == "SUCCEEDED", f"{execution_arn}: {outcome(description)}")


def scenario_cloudformation_state_machines() -> None:
    """A stack with one state machine, then StartExecution on the machine the stack made."""
    import boto3

    cfn = boto3.client("cloudformation", region_name=REGION)
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": json.dumps(single("Done", pass_state({"done": True}))),
                    "RoleArn": ROLE_ARN,
                },
            }
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Machine"}}},
    }
    cfn.create_stack(StackName="with-machine", TemplateBody=json.dumps(template))
    outputs = cfn.describe_stacks(StackName="with-machine")["Stacks"][0].get("Outputs", [])
    arn = next(o["OutputValue"] for o in outputs if o["OutputKey"] == "Arn")
    client = sfn()
    try:
        execution_arn = start(client, arn, name="from-stack")
    except Exception as error:  # noqa: BLE001 - the failure is what the check reports
        raise ScenarioFailed(f"StartExecution on the stack's machine failed: {type(error).__name__}: {error}")
    description = finished(client, execution_arn)
    expect(description["status"] == "SUCCEEDED", f"{execution_arn}: {outcome(description)}")
    cfn.delete_stack(StackName="with-machine")
    left = [m["name"] for m in client.list_state_machines()["stateMachines"]]
    expect(not left, f"state machines left after DeleteStack: {left}")


def scenario_stop_execution_error_cause() -> None:
    """StopExecution with an error and a cause, of an execution waiting in a Wait state."""
    client = sfn()
    arn = machine(client, "stoppable", single("Sleep", {"Type": "Wait", "Seconds": 60, "End": True}))
    execution_arn = start(client, arn, name="stopped")
    deadline = time.monotonic() + POLL_SECONDS
    # Stopped once it waits: moto 5.2.1 answers a StopExecution that comes before 500 either way.
    while not any(
        e["type"] == "WaitStateEntered" for e in client.get_execution_history(executionArn=execution_arn)["events"]
    ):
        if time.monotonic() > deadline:
            raise ScenarioFailed(f"{execution_arn} never entered its Wait state")
        time.sleep(0.05)
    client.stop_execution(executionArn=execution_arn, error="Operator", cause="stopped by hand")
    description = finished(client, execution_arn)
    expect(
        description["status"] == "ABORTED"
        and description.get("error") == "Operator"
        and description.get("cause") == "stopped by hand",
        f"the stopped execution is {outcome(description)}; AWS keeps StopExecution's error and cause",
    )


def scenario_cloudformation_schedule_groups() -> None:
    """A stack with a schedule group (named, referred to by Ref and GetAtt), a schedule in it, DeleteStack."""
    import boto3

    cfn = boto3.client("cloudformation", region_name=REGION)
    scheduler = boto3.client("scheduler", region_name=REGION)
    template = {
        "Resources": {
            "Group": {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": "leases"}},
            "Holder": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/leases/group", "Type": "String", "Value": {"Fn::GetAtt": ["Group", "Arn"]}},
            },
        },
        "Outputs": {"Name": {"Value": {"Ref": "Group"}}, "Arn": {"Value": {"Fn::GetAtt": ["Group", "Arn"]}}},
    }
    try:
        cfn.create_stack(StackName="with-group", TemplateBody=json.dumps(template))
    except Exception as error:  # noqa: BLE001 - the failure is what the check reports
        raise ScenarioFailed(f"CreateStack with a schedule group failed: {type(error).__name__}: {error}")
    stack = cfn.describe_stacks(StackName="with-group")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    arn = f"arn:aws:scheduler:{REGION}:123456789012:schedule-group/leases"
    expect(outputs == {"Name": "leases", "Arn": arn}, f"the stack's outputs are {outputs}; AWS gives the name and {arn}")
    scheduler.create_schedule(
        Name="lease-i-0123456789abcdef0",
        GroupName="leases",
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:m", "RoleArn": ROLE_ARN},
    )
    cfn.delete_stack(StackName="with-group")
    groups = [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
    expect(groups == ["default"], f"schedule groups left after DeleteStack: {groups}")


def scenario_scheduler_missing_group() -> None:
    """CreateSchedule in a group nobody created."""
    import boto3
    from botocore.exceptions import ClientError

    scheduler = boto3.client("scheduler", region_name=REGION)
    try:
        scheduler.create_schedule(
            Name="lease-i-0123456789abcdef0",
            GroupName="nowhere",
            ScheduleExpression="at(2030-01-01T00:00:00)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:m", "RoleArn": ROLE_ARN},
        )
    except ClientError as error:
        code = error.response["Error"]["Code"]
        expect(
            code == "ResourceNotFoundException",
            f"CreateSchedule in a missing group is {code}; AWS answers ResourceNotFoundException",
        )
        return
    except Exception as error:  # noqa: BLE001 - the failure is what the check reports
        raise ScenarioFailed(
            f"CreateSchedule in a missing group is {type(error).__name__}: {error};"
            " AWS answers ResourceNotFoundException"
        )
    raise ScenarioFailed("CreateSchedule in a missing group succeeded; AWS answers ResourceNotFoundException")


SCENARIOS: dict[str, Callable[[], None]] = {
    "deepcopy_without_executions": scenario_deepcopy_without_executions,
    "definite_jsonpath": scenario_definite_jsonpath,
    "states_error_names": scenario_states_error_names,
    "context_start_time_string": scenario_context_start_time_string,
    "sfn_start_execution_integration": scenario_sfn_start_execution_integration,
    "generated_execution_name": scenario_generated_execution_name,
    "cloudformation_state_machines": scenario_cloudformation_state_machines,
    "stop_execution_error_cause": scenario_stop_execution_error_cause,
    "cloudformation_schedule_groups": scenario_cloudformation_schedule_groups,
    "scheduler_missing_group": scenario_scheduler_missing_group,
}
assert list(SCENARIOS) == [name for name, _ in fixes.FIXES], "one scenario per fix, in FIXES order"


# ---------------------------------------------------------------------------------------------
# Running.
# ---------------------------------------------------------------------------------------------


def _shorten(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_scenario(name: str, without: str | None) -> str:
    """Apply every fix but ``without``, run scenario ``name`` under mock_aws; "ok" or the failure."""
    # What moto reads at every start comes from the emulator's cache (startup.py), as in the emulator.
    startup.install(fixes.MOTO_VERSION, REGION)
    fixes.apply_all(skip={without} if without else set())
    from moto import mock_aws

    # The engine logs every state failure it handles; the scenarios provoke some on purpose.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            SCENARIOS[name]()
    except ScenarioFailed as failure:
        return _shorten(str(failure))
    except Exception as error:  # noqa: BLE001 - any other error is a failure of the scenario too
        return _shorten(f"{type(error).__name__}: {error}")
    return "ok"


def _run_child(name: str, without: str | None) -> Any:
    """The child's ``result`` (one scenario) or ``results`` (``all``), or why there is none."""
    command = [sys.executable, os.path.abspath(__file__), "--scenario", name]
    if without:
        command += ["--without", without]
    timeout = POLL_SECONDS * (3 if name != "all" else 3 * len(SCENARIOS))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"the scenario process did not end within {timeout:.0f} s"
    for line in reversed(done.stdout.splitlines()):
        try:
            parsed = json.loads(line)
            return parsed["results"] if name == "all" else str(parsed["result"])
        except (ValueError, KeyError, TypeError):
            continue
    return _shorten(f"the scenario process exited {done.returncode} without a result: {done.stderr[-400:]}")


def check_all() -> int:
    jobs: list[tuple[str, str | None]] = [("all", None)] + [(name, name) for name, _ in fixes.FIXES]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        results = dict(zip(jobs, pool.map(lambda job: _run_child(*job), jobs)))
    with_all = results[("all", None)]
    report = [
        {
            "name": name,
            "without": results[(name, name)],
            "with": with_all.get(name, "no result") if isinstance(with_all, dict) else with_all,
        }
        for name, _ in fixes.FIXES
    ]
    print(json.dumps({"fixes": report}, indent=2))
    proven = all(entry["without"] != "ok" and entry["with"] == "ok" for entry in report)
    return 0 if proven else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--scenario", choices=[*SCENARIOS, "all"], help="run one scenario (or all, with every fix) in this process"
    )
    parser.add_argument("--without", choices=[name for name, _ in fixes.FIXES], help="leave this fix out")
    args = parser.parse_args(argv)

    installed = fixes.installed_moto_version()
    if installed != fixes.MOTO_VERSION:
        print(
            f"moto {installed or '(none)'} is installed; these fixes patch moto {fixes.MOTO_VERSION} exactly:"
            " python3 -m pip install -r requirements-dev.txt",
            file=sys.stderr,
        )
        return 2
    if args.scenario == "all":
        if args.without:
            parser.error("--scenario all runs with every fix")
        print(json.dumps({"results": {name: run_scenario(name, None) for name in SCENARIOS}}))
        return 0
    if args.scenario:
        print(json.dumps({"result": run_scenario(args.scenario, args.without)}))
        return 0
    if args.without:
        parser.error("--without goes with --scenario")
    return check_all()


if __name__ == "__main__":
    sys.exit(main())
