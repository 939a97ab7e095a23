//! The chat-completions adapter (`wire_api = "chat"`): the core speaks only the Responses API, so
//! a provider that serves `/chat/completions` (vLLM, llama.cpp, Ollama, ...) is reached by mapping
//! each Responses request body to a chat body and each chat stream chunk back to Responses events.

mod request;
mod stream;
mod tap_json;

pub use request::{chat_request, ChatRequest, ChatRequestError, FREEFORM_ARGUMENT};
pub use stream::{mentions_context_length, ChatChunkError, ChatStreamDecoder};
pub use tap_json::responses_wire_json;

/// A chat server's HTTP error body, made recognisable to the core's retry rules: a 400 that says
/// the context length was exceeded without Codex's code gets the code put in front.
pub fn http_error_body(status: u16, body: String) -> String {
    if status == 400 && !body.contains("context_length_exceeded") && mentions_context_length(&body)
    {
        format!("context_length_exceeded: {body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_length_400_gets_the_code_other_errors_stay() {
        let vllm = r#"{"object":"error","message":"This model's maximum context length is 4096 tokens.","code":400}"#;
        let mapped = http_error_body(400, vllm.to_string());
        assert!(mapped.starts_with("context_length_exceeded: "), "{mapped}");
        assert!(mapped.ends_with(vllm));
        assert_eq!(http_error_body(400, "bad tool".into()), "bad tool");
        assert_eq!(
            http_error_body(500, "maximum context length".into()),
            "maximum context length"
        );
    }
}
