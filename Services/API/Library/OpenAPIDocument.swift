/// Placeholder until the document lands.
enum OpenAPIDocument { static let yaml = "" }
