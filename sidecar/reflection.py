"""gRPC server reflection, both grpc.reflection.v1 (current grpcurl, IDE plugins) and v1alpha.

grpcio-reflection ships only v1alpha. The v1 protocol is the same messages, field for field,
under another package name, so the v1alpha servicer answers v1 calls: requests and
responses are wire-identical. The v1 file descriptor, derived from v1alpha's by renaming
its package, is added to the default pool so that clients can also describe the v1 service.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection, reflection_pb2

V1_PACKAGE = "grpc.reflection.v1"
V1_FILE = "grpc/reflection/v1/reflection.proto"
V1_SERVICE_NAME = f"{V1_PACKAGE}.ServerReflection"
V1ALPHA_SERVICE_NAME: str = reflection.SERVICE_NAME


def _register_v1_descriptor(pool: descriptor_pool.DescriptorPool) -> None:
    try:
        pool.FindFileByName(V1_FILE)
        return
    except KeyError:
        pass
    file_proto = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(file_proto)
    old_prefix = f".{file_proto.package}."
    file_proto.name = V1_FILE
    file_proto.package = V1_PACKAGE
    for message in file_proto.message_type:
        for field in message.field:
            if field.type_name.startswith(old_prefix):
                field.type_name = f".{V1_PACKAGE}." + field.type_name[len(old_prefix) :]
    for service in file_proto.service:
        for method in service.method:
            for attribute in ("input_type", "output_type"):
                name = getattr(method, attribute)
                if name.startswith(old_prefix):
                    setattr(method, attribute, f".{V1_PACKAGE}." + name[len(old_prefix) :])
    pool.Add(file_proto)


def enable(server: grpc.aio.Server, service_names: Iterable[str]) -> None:
    """Serve reflection v1 and v1alpha on `server`, listing `service_names` and both."""
    names = (*service_names, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
    _register_v1_descriptor(descriptor_pool.Default())
    servicer = reflection.aio.ReflectionServicer(names)
    reflection.enable_server_reflection(names, server)
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(V1_SERVICE_NAME, {"ServerReflectionInfo": handler}),)
    )
