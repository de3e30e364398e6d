import IVR
import Runtime

await ServiceMain.run(IVRService.definition)
