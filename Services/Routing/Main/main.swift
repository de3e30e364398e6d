import Routing
import Runtime

await ServiceMain.run(RoutingService.definition)
