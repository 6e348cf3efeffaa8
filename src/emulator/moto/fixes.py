"""Fixes for moto 5.2.1: its Step Functions engine (``moto/stepfunctions/parser``) and its Scheduler.

moto runs state machines with a port of LocalStack's ASL interpreter when it is configured with
``{"stepfunctions": {"execute_state_machine": true}}``. Eight of its behaviours break this project's
workflows or differ from AWS, and two of EventBridge Scheduler's (the leases' schedules); each is
corrected here by one small, independent monkeypatch that wraps, narrowly overrides or adds to
moto's code (no moto code is copied).

Every ``apply_*`` function imports what it patches lazily, is idempotent (a patched attribute
carries the marker ``__motofix__``), and can be applied on its own. ``FIXES`` lists them in order;
``apply_all()`` applies every one. The patches fit moto 5.2.1 exactly: check
``installed_moto_version()`` against ``MOTO_VERSION`` before applying them.
"""

from __future__ import annotations

import copy
import datetime
import functools
import importlib
import sys
from collections.abc import Callable
from typing import Any

MOTO_VERSION = "5.2.1"

_MARK = "__motofix__"


def installed_moto_version() -> str | None:
    """The installed moto distribution's version, read without importing moto (None if absent)."""
    from importlib import metadata

    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:
        return None


def _is_patched(value: Any) -> bool:
    return bool(getattr(value, _MARK, False))


def _mark(func: Any, fix_name: str) -> Any:
    setattr(func, _MARK, fix_name)
    return func


def _wrap(owner: Any, attribute: str, fix_name: str, make: Callable[[Any], Callable[..., Any]]) -> None:
    """Replace ``owner.attribute`` with ``make(original)``, marked as ``fix_name``; once only."""
    original = getattr(owner, attribute)
    if _is_patched(original):
        return
    setattr(owner, attribute, _mark(functools.wraps(original)(make(original)), fix_name))


def _utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def _iso_millis_z(moment: datetime.datetime) -> str:
    """``2026-11-28T10:24:18.676Z``: the form AWS gives timestamps in the context object."""
    moment = _utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------------------------
# 1. StartExecution deep-copies the machine's executions (and their locks).
# --------------------------------------------------------------------------------------------


def apply_deepcopy_without_executions() -> None:
    """StartExecution must not deep-copy a state machine's executions.

    What goes wrong in 5.2.1: ``StepFunctionsParserBackend.start_execution``
    (``moto/stepfunctions/parser/models.py``) snapshots the state machine with
    ``copy.deepcopy(state_machine)``. The machine's ``executions`` list holds the engine's
    execution workers (threads, locks), so from the second StartExecution on a machine, whether
    its first execution is still running or not, the copy fails with
    ``TypeError: cannot pickle '_thread.RLock' object`` (HTTP 500 in server mode). The machine
    also refers to its ``backend``, so the copy dragged in every other machine and its executions.

    Fix: ``StateMachineInstance`` (``moto/stepfunctions/models.py``, base of ``StateMachine`` and
    ``StateMachineVersion``) gets a ``__deepcopy__`` that deep-copies the instance's attributes
    except two: ``executions`` starts empty in the copy, and ``backend`` (the live registry, not
    part of the machine's description) is shared rather than copied.

    Upstream: a real moto bug, fixed in moto 5.2.3.
    """
    from moto.stepfunctions.models import StateMachineInstance

    if _is_patched(StateMachineInstance.__dict__.get("__deepcopy__")):
        return

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key == "executions":
                clone.__dict__[key] = []
            elif key == "backend":
                clone.__dict__[key] = value
            else:
                clone.__dict__[key] = copy.deepcopy(value, memo)
        return clone

    StateMachineInstance.__deepcopy__ = _mark(__deepcopy__, "deepcopy_without_executions")  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# 2. `$[0].config` gives a list.
# --------------------------------------------------------------------------------------------

# The modules of moto 5.2.1's engine that bind `extract_json` by name at import time.
_EXTRACT_JSON_USERS: tuple[str, ...] = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.intrinsic.argument.argument",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.boolean_equals",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.numeric",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.string_operators",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.timestamp_operators",
)


@functools.lru_cache(maxsize=1024)
def _parsed_jsonpath(path: str) -> Any:
    from jsonpath_ng.ext import parse

    return parse(path)


def _is_definite(node: Any) -> bool:
    """True for a path naming at most one value: only root, single fields and single indexes."""
    from jsonpath_ng.jsonpath import Child, Fields, Index, Root

    if isinstance(node, Root):
        return True
    if isinstance(node, Child):
        return _is_definite(node.left) and _is_definite(node.right)
    if isinstance(node, Fields):
        return len(node.fields) == 1 and node.fields[0] != "*"
    if isinstance(node, Index):
        indices = getattr(node, "indices", None)
        return len(indices) == 1 if indices is not None else isinstance(getattr(node, "index", None), int)
    return False


def apply_definite_jsonpath() -> None:
    """A definite JSONPath such as ``$[0].config`` must give the value, not a one-item list.

    What goes wrong in 5.2.1: ``extract_json`` (``moto/stepfunctions/parser/asl/utils/json_path.py``)
    wraps a single match in a list whenever the match's parent step is an array index (a moto
    addition for filters, moto issue #7825). So ``$[0].config`` or ``$.items[2].name`` yields
    ``[value]``; e.g. a Parallel's ResultSelector ``{"config.$": "$[0].config"}`` gives
    ``{"config": [{...}]}``. AWS gives the value itself for any path made only of field names
    and single indexes (a Reference Path).

    Fix: a wrapper of ``extract_json`` that, when the parsed path is definite (root, single
    fields, single indexes; no wildcard, slice, filter, union or descent) and matches exactly
    once, returns that match's value; every other path goes to moto's function unchanged. The
    wrapper is rebound in ``json_path`` and in each engine module that imported the function by
    name (``_EXTRACT_JSON_USERS``).

    Upstream: not known to be fixed upstream.
    """
    json_path = importlib.import_module("moto.stepfunctions.parser.asl.utils.json_path")
    for module_name in _EXTRACT_JSON_USERS:
        importlib.import_module(module_name)
    current = json_path.extract_json
    if _is_patched(current):
        return
    original: Callable[[str, Any], Any] = current

    def extract_json(path: str, data: Any) -> Any:
        expression = _parsed_jsonpath(path)
        if _is_definite(expression):
            matches = expression.find(data)
            if len(matches) == 1:
                return matches[0].value
        return original(path, data)

    _mark(extract_json, "definite_jsonpath")
    extract_json.__wrapped__ = original  # type: ignore[attr-defined]
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "extract_json", None) is original:
            module.extract_json = extract_json  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# 3. `States.*` errors leaving a Parallel branch, a Map iteration or a Fail state.
# --------------------------------------------------------------------------------------------

# The modules that turn a runtime error name into an ErrorName with `CustomErrorName(...)`.
_RUNTIME_ERROR_NAME_USERS: tuple[str, ...] = (
    "moto.stepfunctions.parser.asl.component.state.fail.state_fail",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branches_decl",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker",
)


def apply_states_error_names() -> None:
    """An error named ``States.*`` must leave a Parallel, a Map iteration or a Fail state intact.

    What goes wrong in 5.2.1: the Fail state (``asl/component/state/fail/state_fail.py``), a
    Parallel whose branch failed (``asl/component/state/exec/state_parallel/branches_decl.py``)
    and a failed Map iteration (``asl/component/state/exec/state_map/iteration/iteration_worker.py``)
    wrap the error's name in ``CustomErrorName``, whose constructor raises ``ValueError`` for
    names starting with ``States.`` (reserved for the engine's own names). So a Fail state with
    Error ``States.Timeout``, or a branch or iteration ending in ``States.TaskFailed``, loses its
    error and cause: the execution fails as ``States.Runtime`` with the ValueError as cause.
    (Paths above are relative to ``moto/stepfunctions/parser``.)

    Fix: in those three modules only, the name ``CustomErrorName`` is rebound to a factory that
    gives a ``StatesErrorName`` for a name of the engine's ``States.*`` enum, a plain
    ``ErrorName`` for another ``States.*`` name, and moto's ``CustomErrorName`` for the rest. The
    original name and cause then reach the execution's result and Catch/Retry matching, as on
    AWS. Definition parsing (which rightly rejects unknown ``States.*`` in ErrorEquals) is
    untouched.

    Upstream: not known to be fixed upstream.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        ILLEGAL_CUSTOM_ERROR_PREFIX,
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )

    class ReportedStatesErrorName(ErrorName):
        """A ``States.*`` error name reported at run time that the engine's enum does not know."""

    def error_name_of(error_name: str | None) -> ErrorName:
        if isinstance(error_name, str) and error_name.startswith(ILLEGAL_CUSTOM_ERROR_PREFIX):
            try:
                return StatesErrorName.from_name(error_name)
            except ValueError:
                return ReportedStatesErrorName(error_name=error_name)
        return CustomErrorName(error_name=error_name)

    _mark(error_name_of, "states_error_names")
    for module_name in _RUNTIME_ERROR_NAME_USERS:
        module = importlib.import_module(module_name)
        if not _is_patched(module.CustomErrorName):
            module.CustomErrorName = error_name_of


# --------------------------------------------------------------------------------------------
# 4. `$$.Execution.StartTime` is a datetime.
# --------------------------------------------------------------------------------------------


def apply_context_start_time_string() -> None:
    """``$$.Execution.StartTime`` must be an ISO-8601 string, as on AWS.

    What goes wrong in 5.2.1: ``Execution.get_start_execution_details``
    (``moto/stepfunctions/parser/backend/execution.py``) passes the execution's ``start_date``, a
    ``datetime``, as ``start_time``; the execution worker puts it in the context object as
    ``Execution.StartTime``. Once a state copies it into its output (e.g. a Pass with
    ``"startedAt.$": "$$.Execution.StartTime"``), DescribeExecution and GetExecutionHistory fail
    with HTTP 500: ``Object of type datetime is not JSON serializable``.

    Fix: a wrapper of ``Execution.get_start_execution_details`` that turns a datetime
    ``start_time`` into AWS's form, UTC with milliseconds: ``2026-11-28T10:24:18.676Z``. The
    execution's own ``start_date`` (used by the API responses) stays a datetime.

    Upstream: not known to be fixed upstream.
    """
    from moto.stepfunctions.parser.backend.execution import Execution

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def get_start_execution_details(self: Any) -> Any:
            details = original(self)
            if isinstance(details.start_time, datetime.datetime):
                details.start_time = _iso_millis_z(details.start_time)
            return details

        return get_start_execution_details

    _wrap(Execution, "get_start_execution_details", "context_start_time_string", make)


# --------------------------------------------------------------------------------------------
# 5. `arn:aws:states:::states:startExecution.sync:2`.
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _sfn_operation_shapes(action: str) -> tuple[Any, Any]:
    """(input shape, output shape) of the Step Functions API action ``action`` (snake case)."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model("stepfunctions")
    for operation_name in model.operation_names:
        if xform_name(operation_name) == action:
            operation = model.operation_model(operation_name)
            return operation.input_shape, operation.output_shape
    return None, None


def _epoch_millis_dates(value: Any) -> Any:
    """Datetimes (as boto3 parses them) to epoch milliseconds, as AWS's integrations give them."""
    if isinstance(value, datetime.datetime):
        return int(_utc(value).timestamp() * 1000)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _epoch_millis_dates(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _epoch_millis_dates(item)
    return value


def apply_sfn_start_execution_integration() -> None:
    """``states:startExecution`` (``.sync``, ``.sync:2``) must call and answer as on AWS.

    What goes wrong in 5.2.1: ``StateTaskServiceSfn``
    (``moto/stepfunctions/parser/asl/component/state/exec/state_task/service/state_task_service_sfn.py``)
    relies on its base class ``StateTaskService`` (``.../service/state_task_service.py``) to map
    the task's parameters to the API's member names and the API's answer back to the task's
    names, but moto's port left that base's ``_normalise_parameters`` and ``_normalise_response``
    empty. So the boto3 call receives ``StateMachineArn``/``Input`` instead of
    ``stateMachineArn``/``input`` and fails (the state fails with ``States.Runtime``, cause
    ``'StateMachineArn'``); and the answer would keep lower-case keys (``executionArn``,
    ``output``...), which the ``.sync`` pollers themselves look up as ``ExecutionArn``.

    Fix: ``StateTaskServiceSfn`` gets its own ``_normalise_parameters`` and
    ``_normalise_response``, each calling the original first, then using the botocore model of
    the action (``start_execution``, ``describe_execution``) with the base class's existing
    converters ``_to_boto_request`` / ``_from_boto_response``. The task's result is then AWS's:
    ``ExecutionArn``, ``StartDate`` for the plain call; for ``.sync:2`` ``ExecutionArn``,
    ``Input`` and ``Output`` as JSON objects, ``Status``, ``StartDate``, ``StopDate``,
    ``InputDetails``, ``OutputDetails``...; dates as epoch milliseconds. A failed child fails the
    task with ``States.TaskFailed`` and, as cause, the JSON of that description with ``Error``,
    ``Cause``, ``ExecutionArn``, ``Status``...

    Upstream: not known to be fixed upstream.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    if _is_patched(StateTaskServiceSfn.__dict__.get("_normalise_response")):
        return
    original_parameters = StateTaskServiceSfn._normalise_parameters
    original_response = StateTaskServiceSfn._normalise_response

    def _normalise_parameters(
        self: Any,
        parameters: dict[str, Any],
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        original_parameters(self, parameters, boto_service_name, service_action_name)
        input_shape, _ = _sfn_operation_shapes(self._get_boto_service_action(service_action_name))
        if input_shape is not None:
            self._to_boto_request(parameters, input_shape)

    def _normalise_response(
        self: Any,
        response: Any,
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        original_response(self, response, boto_service_name, service_action_name)
        _, output_shape = _sfn_operation_shapes(self._get_boto_service_action(service_action_name))
        if output_shape is not None and isinstance(response, dict):
            self._from_boto_response(response, output_shape)
            _epoch_millis_dates(response)

    StateTaskServiceSfn._normalise_parameters = _mark(_normalise_parameters, "sfn_start_execution_integration")
    StateTaskServiceSfn._normalise_response = _mark(_normalise_response, "sfn_start_execution_integration")


# --------------------------------------------------------------------------------------------
# 6. StartExecution without a name.
# --------------------------------------------------------------------------------------------


def apply_generated_execution_name() -> None:
    """StartExecution without ``name`` must name the execution with a UUID.

    What goes wrong in 5.2.1: ``StepFunctionsParserBackend.start_execution``
    (``moto/stepfunctions/parser/models.py``) uses the ``name`` argument as it is, so an
    execution started without one is called ``None``, its ARN ends in ``:None``, and a second
    nameless start on the machine collides with the first (it is answered with the first
    execution, or refused with ExecutionAlreadyExists). Nested ``startExecution`` tasks, which
    rarely pass ``Name``, all hit this. (moto's non-executing backend does generate a UUID.)

    Fix: a wrapper of ``start_execution`` that passes ``str(mock_random.uuid4())`` as the name
    when none (or an empty one) is given, as AWS does.

    Upstream: not known to be fixed upstream.
    """
    from moto.moto_api._internal import mock_random
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def start_execution(self: Any, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
            return original(self, state_machine_arn, name or str(mock_random.uuid4()), *args, **kwargs)

        return start_execution

    _wrap(StepFunctionsParserBackend, "start_execution", "generated_execution_name", make)


# --------------------------------------------------------------------------------------------
# 7. CloudFormation creates state machines the executing engine does not know.
# --------------------------------------------------------------------------------------------


class _ExecutingBackends:
    """``stepfunctions_backends[account][region]`` that answers with the backend the API uses."""

    def __getitem__(self, account_id: str) -> Any:
        from moto.stepfunctions.responses import get_backend

        class _Regions:
            def __getitem__(self, region_name: str) -> Any:
                return get_backend(account_id, region_name)

        return _Regions()


def apply_cloudformation_state_machines() -> None:
    """A state machine CloudFormation creates must be one the Step Functions API can run.

    What goes wrong in 5.2.1: with ``execute_state_machine`` on, the API's handlers use
    ``stepfunctions_parser_backends`` (``moto/stepfunctions/responses.py``, ``get_backend``), but
    ``AWS::StepFunctions::StateMachine``'s create, update and delete handlers
    (``moto/stepfunctions/models.py``) use the plain ``stepfunctions_backends``. A machine from a
    stack is then listed by ``describe-stacks`` but ``StartExecution`` answers
    ``StateMachineDoesNotExist``.

    Fix: in ``moto.stepfunctions.models`` only (the CloudFormation handlers' module; every other
    module holds its own reference), ``stepfunctions_backends`` becomes a view that returns the
    backend ``get_backend`` chooses, so stacks and the API share one registry. Without the engine
    switched on, ``get_backend`` returns the plain backend, as before.

    Upstream: a real moto bug, not known to be fixed.
    """
    import moto.stepfunctions.models as models

    if isinstance(models.stepfunctions_backends, _ExecutingBackends):
        return
    models.stepfunctions_backends = _ExecutingBackends()  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------
# 8. StopExecution's error and cause.
# --------------------------------------------------------------------------------------------


def apply_stop_execution_error_cause() -> None:
    """StopExecution's ``error`` and ``cause`` must be the stopped execution's.

    What goes wrong in 5.2.1: ``StepFunctionResponse.stop_execution``
    (``moto/stepfunctions/responses.py``) reads only ``executionArn``, and
    ``StateMachine.stop_execution`` (``moto/stepfunctions/models.py``) stops the execution with
    ``error=""`` and ``cause=""``. DescribeExecution then reports an ABORTED execution without the
    error and cause the caller gave, and the "Execution Status Change" event carries none: on AWS
    both carry them (an operator's reason, or ``States.Aborted`` from a fleet stopping a child).

    The engine's ``BaseExecutionWorkerCommunication._reflect_execution_status``
    (``moto/stepfunctions/parser/backend/execution.py``) then drops them too: for a
    ``ProgramStopped`` it sets only the status.

    And when the stop lands while a task is in flight, the engine's worker can end in a
    ``ProgramError`` (``Exception``) instead of ``ProgramStopped``: the execution is then reported
    FAILED, where Step Functions reports every execution it accepted a StopExecution for ABORTED.

    Fix: a replacement of the response handler that finds the execution as ``DescribeExecution``
    does (the same validation and ``ExecutionDoesNotExist``), notes the stop on it and stops it with
    the request's ``error`` and ``cause``, and a wrapper of ``_reflect_execution_status`` that
    copies a stopped program's error and cause to the execution, and reports an execution whose
    stop was accepted ABORTED with them however its program ended; what the engine does on a stop
    is otherwise unchanged.

    Upstream: not known to be fixed upstream.
    """
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.stepfunctions.responses import StepFunctionResponse

    if _is_patched(StepFunctionResponse.__dict__["stop_execution"]):
        return

    def stop_execution(self: Any) -> Any:
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        if execution.status == "RUNNING":
            error, cause = self._get_param("error"), self._get_param("cause")
            execution.lifecycle_stop_request = (error, cause)
            execution.stop(stop_date=utcnow(), error=error, cause=cause)
        return ActionResult({"stopDate": execution.stop_date})

    StepFunctionResponse.stop_execution = _mark(stop_execution, "stop_execution_error_cause")

    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def _reflect_execution_status(self: Any) -> None:
            original(self)
            stopped = self.execution.exec_worker.env.program_state()
            if isinstance(stopped, ProgramStopped):
                self.execution.error = stopped.error
                self.execution.cause = stopped.cause
            request = getattr(self.execution, "lifecycle_stop_request", None)
            if request is not None and self.execution.exec_status != ExecutionStatus.ABORTED:
                self.execution.exec_status = ExecutionStatus.ABORTED
                self.execution.error, self.execution.cause = request

        return _reflect_execution_status

    _wrap(BaseExecutionWorkerCommunication, "_reflect_execution_status", "stop_execution_error_cause", make)


# --------------------------------------------------------------------------------------------
# 9. `AWS::Scheduler::ScheduleGroup` in a stack.
# --------------------------------------------------------------------------------------------


def apply_cloudformation_schedule_groups() -> None:
    """A stack with an ``AWS::Scheduler::ScheduleGroup`` must create the group.

    What goes wrong in 5.2.1: moto's CloudFormation knows no model for the type
    (``moto/cloudformation/parsing.py``, ``resource_class_from_type`` logs "No Moto CloudFormation
    support"), so the resource is skipped, and a ``Ref`` or ``Fn::GetAtt`` to it (the lease role's
    trust policy names the group's ARN) fails the whole CreateStack with ``AttributeError:
    'NoneType' object has no attribute 'has_cfn_attr'``.

    Fix: a ``CloudFormationModel`` for the type that creates the group through the Scheduler's own
    backend (``moto/scheduler/models.py``, ``create_schedule_group``, with the template's ``Name``
    or CloudFormation's generated one, and its ``Tags``), answers ``Ref`` with the name and
    ``Fn::GetAtt`` ``Arn``, and deletes the group with the stack. CloudFormation's model map is a
    cached list of ``CloudFormationModel`` subclasses, so the cache is cleared once the model exists.

    Upstream: not supported upstream.
    """
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel

    models = CloudFormationModel.__subclasses__()
    if any(getattr(model, _MARK, None) == "cloudformation_schedule_groups" for model in models):
        return

    def backend(account_id: str, region_name: str) -> Any:
        from moto.scheduler.models import scheduler_backends

        return scheduler_backends[account_id][region_name]

    class CloudFormationScheduleGroup(CloudFormationModel):
        # moto files every model under the service its module names (``moto.<service>...``).
        __module__ = "moto.scheduler.models"

        def __init__(self, account_id: str, region_name: str, group: Any) -> None:
            self.account_id = account_id
            self.region_name = region_name
            self.group = group

        @property
        def physical_resource_id(self) -> str:
            return self.group.name

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::Scheduler::ScheduleGroup"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr in ("Arn", "CreationDate", "LastModificationDate", "State")

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            return {
                "Arn": self.group.arn,
                "CreationDate": self.group.created_on,
                "LastModificationDate": self.group.last_modified,
                "State": "ACTIVE",
            }[attribute_name]

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[misc]
            cls,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> Any:
            properties = cloudformation_json.get("Properties", {})
            group = backend(account_id, region_name).create_schedule_group(
                name=properties.get("Name") or resource_name, tags=properties.get("Tags", [])
            )
            return cls(account_id, region_name, group)

        def delete(self, account_id: str, region_name: str) -> None:
            backend(account_id, region_name).schedule_groups.pop(self.group.name, None)

    _mark(CloudFormationScheduleGroup, "cloudformation_schedule_groups")
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


# --------------------------------------------------------------------------------------------
# 10. CreateSchedule in a group that does not exist.
# --------------------------------------------------------------------------------------------


def apply_scheduler_missing_group() -> None:
    """CreateSchedule in a group that does not exist must be ``ResourceNotFoundException``.

    What goes wrong in 5.2.1: ``EventBridgeSchedulerBackend.create_schedule``
    (``moto/scheduler/models.py``) looks the group up with ``self.schedule_groups[group_name]``,
    so an unknown group is a ``KeyError``: HTTP 500, which the SDK retries and then reports as an
    unnamed server error. AWS answers 404 ``ResourceNotFoundException`` ("Schedule group ... does
    not exist"), as moto's own GetSchedule and DeleteSchedule already do.

    Fix: a wrapper of ``create_schedule`` that first asks moto's ``get_schedule_group``, which
    raises moto's ``ScheduleGroupNotFound`` (``ResourceNotFoundException``) for an unknown group.

    Upstream: not known to be fixed upstream.
    """
    from moto.scheduler.models import EventBridgeSchedulerBackend

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_schedule(self: Any, *args: Any, **kwargs: Any) -> Any:
            self.get_schedule_group(kwargs.get("group_name"))
            return original(self, *args, **kwargs)

        return create_schedule

    _wrap(EventBridgeSchedulerBackend, "create_schedule", "scheduler_missing_group", make)


FIXES: list[tuple[str, Callable[[], None]]] = [
    ("deepcopy_without_executions", apply_deepcopy_without_executions),
    ("definite_jsonpath", apply_definite_jsonpath),
    ("states_error_names", apply_states_error_names),
    ("context_start_time_string", apply_context_start_time_string),
    ("sfn_start_execution_integration", apply_sfn_start_execution_integration),
    ("generated_execution_name", apply_generated_execution_name),
    ("cloudformation_state_machines", apply_cloudformation_state_machines),
    ("stop_execution_error_cause", apply_stop_execution_error_cause),
    ("cloudformation_schedule_groups", apply_cloudformation_schedule_groups),
    ("scheduler_missing_group", apply_scheduler_missing_group),
]


def apply_all(skip: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Apply every fix in ``FIXES`` whose name is not in ``skip``; returns the names applied."""
    unknown = set(skip) - {name for name, _ in FIXES}
    if unknown:
        raise ValueError(f"unknown fix name(s): {', '.join(sorted(unknown))}")
    applied = []
    for name, apply in FIXES:
        if name not in skip:
            apply()
            applied.append(name)
    return applied
