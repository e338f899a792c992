//! The seeded public catalog under account `fireworks`: realistic base models, some served on
//! serverless (with a `DEPLOYED` reference to a `accounts/fireworks/deployments/...` deployment,
//! so `deploymentType: auto` resolves to serverless) and some only deployable on demand.
//!
//! The catalog is read-only to every other account; it is not a list of what Fireworks serves
//! today, only a plausible one.

use fireform_api::{
    BaseModelDetails, CheckpointFormat, ConversationConfig, DeployedModelRef, DeployedModelState,
    Model, ModelKind, ModelState, PUBLIC_ACCOUNT, Precision,
};

use crate::world::{Tracked, World};

/// One catalog entry: id, display name, parameter count, architecture, context length, whether
/// serverless serves it, whether it is a mixture of experts.
struct Entry {
    id: &'static str,
    display_name: &'static str,
    parameters: i64,
    model_type: &'static str,
    context_length: i32,
    serverless: bool,
    moe: bool,
}

const ENTRIES: &[Entry] = &[
    Entry {
        id: "llama-v3p1-8b-instruct",
        display_name: "Llama 3.1 8B Instruct",
        parameters: 8_030_261_248,
        model_type: "llama",
        context_length: 131_072,
        serverless: true,
        moe: false,
    },
    Entry {
        id: "llama-v3p1-70b-instruct",
        display_name: "Llama 3.1 70B Instruct",
        parameters: 70_553_706_496,
        model_type: "llama",
        context_length: 131_072,
        serverless: true,
        moe: false,
    },
    Entry {
        id: "llama-v3p1-405b-instruct",
        display_name: "Llama 3.1 405B Instruct",
        parameters: 405_853_388_800,
        model_type: "llama",
        context_length: 131_072,
        serverless: false,
        moe: false,
    },
    Entry {
        id: "llama-v3p2-3b-instruct",
        display_name: "Llama 3.2 3B Instruct",
        parameters: 3_212_749_824,
        model_type: "llama",
        context_length: 131_072,
        serverless: false,
        moe: false,
    },
    Entry {
        id: "llama-v3p3-70b-instruct",
        display_name: "Llama 3.3 70B Instruct",
        parameters: 70_553_706_496,
        model_type: "llama",
        context_length: 131_072,
        serverless: true,
        moe: false,
    },
    Entry {
        id: "qwen2p5-7b-instruct",
        display_name: "Qwen2.5 7B Instruct",
        parameters: 7_615_616_512,
        model_type: "qwen2",
        context_length: 32_768,
        serverless: false,
        moe: false,
    },
    Entry {
        id: "qwen2p5-72b-instruct",
        display_name: "Qwen2.5 72B Instruct",
        parameters: 72_706_203_648,
        model_type: "qwen2",
        context_length: 32_768,
        serverless: true,
        moe: false,
    },
    Entry {
        id: "qwen3-8b",
        display_name: "Qwen3 8B",
        parameters: 8_190_735_360,
        model_type: "qwen3",
        context_length: 40_960,
        serverless: false,
        moe: false,
    },
    Entry {
        id: "mixtral-8x7b-instruct",
        display_name: "Mixtral 8x7B Instruct",
        parameters: 46_702_792_704,
        model_type: "mixtral",
        context_length: 32_768,
        serverless: false,
        moe: true,
    },
    Entry {
        id: "deepseek-v3",
        display_name: "DeepSeek V3",
        parameters: 671_026_419_200,
        model_type: "deepseek_v3",
        context_length: 131_072,
        serverless: true,
        moe: true,
    },
    Entry {
        id: "gemma2-9b-it",
        display_name: "Gemma 2 9B IT",
        parameters: 9_241_705_984,
        model_type: "gemma2",
        context_length: 8_192,
        serverless: false,
        moe: false,
    },
];

/// Adds the catalog models that are not in the world yet (a restored world keeps its own).
pub(crate) fn seed(world: &mut World) {
    // A fixed instant, so the catalog is identical in every run: 2024-07-23T00:00:00Z.
    const SEEDED_MS: u64 = 1_721_692_800_000;
    for entry in ENTRIES {
        let name = format!("accounts/{PUBLIC_ACCOUNT}/models/{}", entry.id);
        if world.models.contains_key(&name) {
            continue;
        }
        let deployed_model_refs = entry.serverless.then(|| {
            vec![DeployedModelRef {
                name: Some(format!(
                    "accounts/{PUBLIC_ACCOUNT}/deployedModels/{}-serverless",
                    entry.id
                )),
                deployment: Some(format!(
                    "accounts/{PUBLIC_ACCOUNT}/deployments/serverless-{}",
                    entry.id
                )),
                state: Some(DeployedModelState::Deployed),
                default: Some(true),
                public: Some(true),
                ..DeployedModelRef::default()
            }]
        });
        let model = Model {
            name: Some(name.clone()),
            display_name: Some(entry.display_name.to_owned()),
            description: Some(format!("{} (emulated public catalog)", entry.display_name)),
            kind: Some(ModelKind::HfBaseModel),
            base_model_details: Some(BaseModelDetails {
                world_size: Some(if entry.parameters > 100_000_000_000 { 8 } else { 1 }),
                checkpoint_format: Some(CheckpointFormat::Huggingface),
                parameter_count: Some(entry.parameters),
                moe: Some(entry.moe),
                tunable: Some(true),
                model_type: Some(entry.model_type.to_owned()),
                supports_fireattention: Some(true),
                default_precision: Some(Precision::Fp8),
                ..BaseModelDetails::default()
            }),
            conversation_config: Some(ConversationConfig {
                style: Some("jinja".to_owned()),
                ..ConversationConfig::default()
            }),
            context_length: Some(entry.context_length),
            public: Some(true),
            supports_tools: Some(true),
            supports_lora: Some(true),
            state: Some(ModelState::Ready),
            create_time: Some(crate::clock::rfc3339(SEEDED_MS)),
            update_time: Some(crate::clock::rfc3339(SEEDED_MS)),
            tunable: Some(true),
            supports_serverless: Some(entry.serverless),
            deployed_model_refs,
            supported_precisions: Some(vec![Precision::Fp8, Precision::Fp16]),
            ..Model::default()
        };
        world.models.insert(name, Tracked::new(model, SEEDED_MS));
        world.dirty = true;
    }
}
