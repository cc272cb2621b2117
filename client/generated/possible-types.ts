
      export interface PossibleTypesResultData {
        possibleTypes: {
          [key: string]: string[]
        }
      }
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "CallServiceResult": [
      "CallServiceSuccess",
      "InvalidInputError",
      "UnknownOperationError",
      "UnknownServiceError"
    ],
    "Error": [
      "InvalidInputError",
      "InvalidTransitionError",
      "NotFoundError",
      "UnknownOperationError",
      "UnknownServiceError"
    ],
    "JobActionResult": [
      "InvalidTransitionError",
      "JobActionSuccess",
      "NotFoundError"
    ]
  }
};
      export default result;
    