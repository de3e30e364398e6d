import Foundation
import Testing
import TestSupport

/// compose.yaml and deploy/kubernetes cannot be run here (no Docker engine, no cluster), so they are
/// checked against the code's own catalogues by scripts/check-deploy.
@Suite("Deployment files")
struct DeploymentTests {
    @Test("compose.yaml and deploy/kubernetes name every service, probe and topic the code has")
    func deploymentMatchesCode() throws {
        let python = TestEnvironment.tool("python")
        let result = try runProgram(python, ["\(TestEnvironment.repository)/scripts/check-deploy", TestEnvironment.repository])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("6 services, 20 topics, 0 problems"))
    }
}
