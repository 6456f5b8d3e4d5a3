# --- Kafka wire: one target per response decoder, the frame reader, and SCRAM ---
# Included by fuzz/CMakeLists.txt. Every decoder target shares one source,
# kafka_response.cpp, built with the request type whose response it decodes.
if(TARGET spotguide_kafka_wire)
  foreach(pair
      "api_versions=ApiVersionsRequest"
      "metadata=MetadataRequest"
      "describe_cluster=DescribeClusterRequest"
      "list_reassignments=ListPartitionReassignmentsRequest"
      "alter_reassignments=AlterPartitionReassignmentsRequest"
      "elect_leaders=ElectLeadersRequest"
      "describe_log_dirs=DescribeLogDirsRequest"
      "describe_configs=DescribeConfigsRequest"
      "incremental_alter_configs=IncrementalAlterConfigsRequest"
      "create_topics=CreateTopicsRequest"
      "delete_topics=DeleteTopicsRequest"
      "sasl_handshake=SaslHandshakeRequest"
      "sasl_authenticate=SaslAuthenticateRequest")
    string(REPLACE "=" ";" parts "${pair}")
    list(GET parts 0 api)
    list(GET parts 1 request)
    sg_fuzz_target(kafka_${api} kafka_response.cpp LIBS spotguide_kafka_wire DEFINES SG_KAFKA_REQUEST=${request})
  endforeach()
  sg_fuzz_target(kafka_frame kafka_frame.cpp LIBS spotguide_kafka_wire)
  sg_fuzz_target(kafka_scram kafka_scram.cpp LIBS spotguide_kafka_wire)
endif()
