import SipEdge
import Runtime

await ServiceMain.run(SipEdgeService.definition)
