//! The table, created from `infra/template.yaml` (its `Table` resource: keys, indexes, stream, TTL),
//! the one place the schema is defined: for the local run and for every test binary.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

/// The table resource of `infra/template.yaml`: the one place the schema is defined.
pub fn table_definition() -> serde_yaml::Value {
    let text = std::fs::read_to_string(crate::repo_root().join("infra/template.yaml"))
        .expect("read infra/template.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("template.yaml parses");
    doc["Resources"]["Table"]["Properties"].clone()
}

fn key_schema(v: &serde_yaml::Value) -> Vec<KeySchemaElement> {
    v.as_sequence()
        .expect("KeySchema list")
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(k["AttributeName"].as_str().unwrap())
                .key_type(KeyType::from(k["KeyType"].as_str().unwrap()))
                .build()
                .unwrap()
        })
        .collect()
}

/// Creates `name` in DynamoDB with the template's keys, indexes, stream and TTL.
pub async fn create_table_from_template(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), String> {
    let def = table_definition();
    let attributes = def["AttributeDefinitions"]
        .as_sequence()
        .expect("AttributeDefinitions")
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(a["AttributeName"].as_str().unwrap())
                .attribute_type(ScalarAttributeType::from(
                    a["AttributeType"].as_str().unwrap(),
                ))
                .build()
                .unwrap()
        })
        .collect();
    let gsis = def["GlobalSecondaryIndexes"].as_sequence().map(|list| {
        list.iter()
            .map(|g| {
                GlobalSecondaryIndex::builder()
                    .index_name(g["IndexName"].as_str().unwrap())
                    .set_key_schema(Some(key_schema(&g["KeySchema"])))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(
                                g["Projection"]["ProjectionType"].as_str().unwrap(),
                            ))
                            .build(),
                    )
                    .build()
                    .unwrap()
            })
            .collect()
    });
    let stream = def["StreamSpecification"]["StreamViewType"]
        .as_str()
        .map(|v| {
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(v))
                .build()
                .unwrap()
        });
    client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&def["KeySchema"])))
        .set_global_secondary_indexes(gsis)
        .billing_mode(BillingMode::from(
            def["BillingMode"].as_str().unwrap_or("PAY_PER_REQUEST"),
        ))
        .set_stream_specification(stream)
        .send()
        .await
        .map_err(|e| {
            format!(
                "CreateTable: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
    if let Some(ttl) = def["TimeToLiveSpecification"]["AttributeName"].as_str() {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(ttl)
                    .enabled(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .map_err(|e| {
                format!(
                    "UpdateTimeToLive: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
    }
    Ok(())
}
