import os
import uuid

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["DATABASES_ORDERS_NAME"])


def handler(event, context):
    """Direct Lambda resolver for Mutation.placeOrder: event["arguments"] holds the args."""
    args = event["arguments"]
    order = {"id": str(uuid.uuid4()), "item": args["item"], "quantity": args["quantity"]}
    TABLE.put_item(Item=order)
    return order
