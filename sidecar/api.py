"""The generated vir.authz.v1 messages and service stubs, under short names."""

from sidecar._generated.vir.authz.v1 import authz_service_pb2 as pb
from sidecar._generated.vir.authz.v1 import authz_service_pb2_grpc as pb_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AuthorizationService"].full_name

__all__ = ["SERVICE_NAME", "pb", "pb_grpc"]
