"""gRPC server reflection v1 (current grpcurl and IDE plugins); v1alpha is in test_check.

The v1 client here is built from its own descriptor of grpc.reflection.v1, not from any
code of the sidecar, as a client that only knows v1 would be.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from integration_tests.processes import Sidecar
from sidecar.api import SERVICE_NAME

F = descriptor_pb2.FieldDescriptorProto


def _v1_messages() -> tuple[Any, Any]:
    """grpc.reflection.v1 ServerReflectionRequest and ServerReflectionResponse (parts used)."""
    proto = descriptor_pb2.FileDescriptorProto(
        name="test/grpc/reflection/v1/reflection.proto",
        package="grpc.reflection.v1",
        syntax="proto3",
    )

    def message(name: str, *fields: tuple[str, int, int, str | None, int | None]) -> None:
        added = proto.message_type.add(name=name)
        for field_name, number, kind, type_name, oneof in fields:
            field = added.field.add(
                name=field_name, number=number, type=kind, label=F.LABEL_OPTIONAL
            )
            if type_name:
                field.type_name = f".grpc.reflection.v1.{type_name}"
            if oneof is not None:
                field.oneof_index = oneof
        if any(f[4] is not None for f in fields):
            added.oneof_decl.add(name="message")

    message(
        "ServerReflectionRequest",
        ("host", 1, F.TYPE_STRING, None, None),
        ("file_containing_symbol", 4, F.TYPE_STRING, None, 0),
        ("list_services", 7, F.TYPE_STRING, None, 0),
    )
    message("ServiceResponse", ("name", 1, F.TYPE_STRING, None, None))
    message("FileDescriptorResponse", ("file_descriptor_proto", 1, F.TYPE_BYTES, None, None))
    message("ErrorResponse", ("error_code", 1, F.TYPE_INT32, None, None))
    proto.message_type[2].field[0].label = F.LABEL_REPEATED
    message("ListServiceResponse", ("service", 1, F.TYPE_MESSAGE, "ServiceResponse", None))
    proto.message_type[4].field[0].label = F.LABEL_REPEATED
    message(
        "ServerReflectionResponse",
        ("valid_host", 1, F.TYPE_STRING, None, None),
        ("file_descriptor_response", 4, F.TYPE_MESSAGE, "FileDescriptorResponse", 0),
        ("list_services_response", 6, F.TYPE_MESSAGE, "ListServiceResponse", 0),
        ("error_response", 7, F.TYPE_MESSAGE, "ErrorResponse", 0),
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    request = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionRequest")
    )
    response = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionResponse")
    )
    return request, response


def _ask(sidecar: Sidecar, version: str, request: Any, response_type: Any) -> Any:
    assert sidecar.channel is not None
    call = sidecar.channel.stream_stream(
        f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_type.FromString,
    )
    return next(iter(call(iter([request]), timeout=5)))


def test_reflection_v1_lists_and_describes_the_service(sidecar: Sidecar) -> None:
    request_type, response_type = _v1_messages()
    listed = _ask(sidecar, "v1", request_type(list_services=""), response_type)
    names = {s.name for s in listed.list_services_response.service}
    assert {SERVICE_NAME, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} <= names
    described = _ask(
        sidecar, "v1", request_type(file_containing_symbol=SERVICE_NAME), response_type
    )
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in described.file_descriptor_response.file_descriptor_proto
    ]
    assert any(
        service.name == "AuthorizationService" for file in files for service in file.service
    ), [f.name for f in files]
