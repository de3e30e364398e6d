import API
import Runtime

await ServiceMain.run(APIService.definition)
