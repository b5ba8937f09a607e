"""Writes the FileDescriptorSet of the gRPC messages Sluice serves, taken from published wheels.

The descriptors come compiled into tritonclient 2.73.0 (tritonclient.grpc.service_pb2 and
model_config_pb2: package `inference`, KServe's Open Inference Protocol plus Triton's repository,
statistics and model-config RPCs) and grpcio-health-checking 1.81.1 (grpc_health.v1.health_pb2),
so no .proto text is copied: protoc reads the set with --descriptor_set_in.
    python scripts/proto/grpc_descriptors.py OUT.pb
Prints the file names in the set, dependencies first, one a line.
"""
import sys

from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2
from tritonclient.grpc import model_config_pb2, service_pb2


def main(out):
    files = descriptor_pb2.FileDescriptorSet()
    seen = set()

    def add(descriptor):
        # protoc wants every dependency before the file that imports it.
        if descriptor.name in seen:
            return
        for dependency in descriptor.dependencies:
            add(dependency)
        seen.add(descriptor.name)
        descriptor.CopyToProto(files.file.add())
        print(descriptor.name)

    for module in (model_config_pb2, service_pb2, health_pb2):
        add(module.DESCRIPTOR)
    with open(out, "wb") as f:
        f.write(files.SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1])
